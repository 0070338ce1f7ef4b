import { Channel } from '../../../src/channel/channel';
import { ALLOWED_TRANSITIONS, type ChannelState } from '../../../src/channel/state';
import { RemoteError, UsageError } from '../../../src/errors';
import type { ServerConnection } from '../../../server';
import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { next, reach, recordStates } from '../../support/channel-helpers';

describe.each(TRANSPORT_KINDS)('channel basics over %s', (kind) => {
  const { h, make: open } = channelSuite(kind, 'chat', { random: () => 0 });

  it('connects: HELLO with the channel name and token, WELCOME opens it, every transition is in the table', async () => {
    const hellos: string[] = [];
    h.server.events.on('connection', ({ connection }) => hellos.push(connection.channel));
    const channel = open({ getToken: () => 'secret-token' });
    const states = recordStates(channel);
    const transitions: [ChannelState, ChannelState][] = [];
    channel.on('state', ({ previous, next: to }) => transitions.push([previous, to]));
    const opened = next(channel, 'open');
    channel.connect();
    const { session } = await opened;
    expect(states).toEqual(['connecting:connect', 'handshaking:socket_open', 'open:welcome']);
    expect(session).toBe(channel.session);
    expect(hellos).toEqual(['chat']);
    for (const [from, to] of transitions) expect(ALLOWED_TRANSITIONS[from]).toContain(to);
  });

  it('pushes both ways and answers a request both ways', async () => {
    const got: unknown[] = [];
    h.server.on('echo', (payload, ctx) => {
      ctx.connection.push('echoed', payload);
    });
    h.server.handle('add', (payload) => {
      const { a, b } = payload as { a: number; b: number };
      return a + b;
    });
    const channel = open();
    channel.subscribe('echoed', (payload) => got.push(payload));
    channel.subscribe('math/double', (payload) => (payload as number) * 2);
    channel.connect();
    await reach(channel, 'open');
    const echoed = channel.waitFor('echoed');
    channel.send('echo', { text: '你好 👋' });
    await expect(echoed).resolves.toEqual({ text: '你好 👋' });
    await expect(channel.request('add', { a: 2, b: 3 })).resolves.toBe(5);
    const connection = [...h.server.connections.values()][0] as ServerConnection;
    await expect(connection.request('math/double', 21)).resolves.toBe(42);
    expect(got).toEqual([{ text: '你好 👋' }]);
  });

  it('a REQUEST with no subscriber gets FAIL not_found; a throwing subscriber gets FAIL with its code', async () => {
    const channel = open();
    channel.subscribe('explode', () => {
      throw Object.assign(new Error('no such room'), { code: 'room_missing' });
    });
    channel.connect();
    await reach(channel, 'open');
    const connection = [...h.server.connections.values()][0] as ServerConnection;
    await expect(connection.request('nobody/home', null)).rejects.toMatchObject({ code: 'not_found' });
    await expect(connection.request('explode', null)).rejects.toMatchObject({ code: 'room_missing', message: 'no such room' });
  });

  it('a FAIL from the server rejects the request with RemoteError carrying its code', async () => {
    h.server.handle('join', () => {
      throw Object.assign(new Error('room is full'), { code: 'room_full' });
    });
    const channel = open();
    channel.connect();
    await reach(channel, 'open');
    const failure = channel.request('join', { room: 1 });
    await expect(failure).rejects.toBeInstanceOf(RemoteError);
    await expect(failure).rejects.toMatchObject({ code: 'room_full', message: 'room is full' });
    expect(channel.stats().pendingRequests).toBe(0);
  });

  it('frames sent in one turn leave in one WebSocket message, in order', async () => {
    const order: number[] = [];
    h.server.on('seq', (payload) => {
      order.push(payload as number);
    });
    const channel = open();
    channel.connect();
    await reach(channel, 'open');
    const messages: number[] = [];
    h.server.events.on('message', ({ frames }) => messages.push(frames));
    const done = new Promise<void>((resolve) =>
      h.server.on('seq', (p) => {
        if (p === 49) resolve();
      }),
    );
    for (let i = 0; i < 50; i++) channel.send('seq', i);
    await done;
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(messages).toEqual([50]);
  });

  it('a batch never exceeds maxBatchBytes: more frames go in more messages', async () => {
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      h.server.on('blob', (p) => {
        seen.push((p as { i: number }).i);
        if (seen.length === 20) resolve();
      }),
    );
    const channel = open({ maxBatchBytes: 1024 });
    channel.connect();
    await reach(channel, 'open');
    const messages: { frames: number; bytes: number }[] = [];
    h.server.events.on('message', ({ frames, bytes }) => messages.push({ frames, bytes }));
    for (let i = 0; i < 20; i++) channel.send('blob', { i, pad: 'x'.repeat(200) });
    await done;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // ~220 bytes a frame: at most 4 fit in a 1 KiB message
    expect(messages.map((m) => m.frames)).toEqual([4, 4, 4, 4, 4]);
    for (const m of messages) expect(m.bytes).toBeLessThanOrEqual(1024);
  });

  it('misuse fails fast with a UsageError naming the bad value', () => {
    expect(() => new Channel('x', { url: 'http://example.com', transport: h.transport })).toThrow(/url/);
    expect(() => new Channel('x', { url: h.url, transport: h.transport, connectTimeoutMs: 61_000 })).toThrow(/connectTimeoutMs/);
    expect(() => new Channel('x', { url: h.url, transport: h.transport, outbox: { policy: 'fifo' as never } })).toThrow(/outbox.policy/);
    const channel = open();
    expect(() => channel.send('', 1)).toThrow(UsageError);
    expect(() => channel.send('t', { f: () => 1 })).toThrow(expect.objectContaining({ code: 'unencodable' }));
    expect(() => channel.subscribe('a/#/b', () => undefined)).toThrow(UsageError);
    expect(() => channel.close(1001)).toThrow(expect.objectContaining({ code: 'invalid_close_code' }));
    channel.close();
    expect(() => channel.send('t', 1)).toThrow(expect.objectContaining({ code: 'closed' }));
  });
});
