import { backoffDelay, DEFAULT_BACKOFF } from '../../src/time/backoff';
import { ConnectionManager } from '../../src/manager';
import type { Channel } from '../../src/channel/channel';
import { TransportError, UsageError } from '../../src/errors';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { next, reach, recordStates } from '../support/channel-helpers';

describe.each(TRANSPORT_KINDS)('ConnectionManager over %s', (kind) => {
  let h: Harness;
  let manager: ConnectionManager;
  const start = async (options: Partial<ConstructorParameters<typeof ConnectionManager>[0]> = {}) => {
    manager = new ConnectionManager({ transport: h.transport, lifecycle: h.lifecycle, clock: h.clock, random: () => 0.5, ...options });
    return manager;
  };
  const openAll = async (names: string[]): Promise<Channel[]> => {
    const channels = names.map((name) => manager.open(name, { url: h.url }));
    await Promise.all(channels.map((c) => reach(c, 'open')));
    return channels;
  };

  beforeEach(async () => {
    h = await startHarness(kind);
  });
  afterEach(async () => {
    manager?.close();
    await h.close();
  });

  it('runs channels side by side, each with its own socket, and subscribes across them by name', async () => {
    await start();
    const [game, chat] = await openAll(['game', 'chat']);
    const seen: string[] = [];
    manager.subscribe('chat', 'room/+/message', (p, meta) => seen.push(`${meta.channel} ${meta.topic} ${String(p)}`));
    const arrived = (chat as Channel).waitFor('room/1/message');
    for (const connection of h.server.connections.values()) {
      if (connection.channel === 'chat') connection.push('room/1/message', 'hi');
    }
    await arrived;
    expect(seen).toEqual(['chat room/1/message hi']);
    expect(new Set([...h.server.connections.values()].map((c) => c.channel))).toEqual(new Set(['game', 'chat']));
    expect(game?.session).not.toBe(chat?.session);
    expect(manager.get('game')).toBe(game);
    expect(() => manager.subscribe('nope', 'x', () => undefined)).toThrow(/no channel named "nope"/);
  });

  it('refuses a sixth channel with an error naming the open ones; a duplicate name too', async () => {
    await start();
    await openAll(['a', 'b', 'c', 'd', 'e']);
    expect(() => manager.open('f', { url: h.url })).toThrow(UsageError);
    expect(() => manager.open('f', { url: h.url })).toThrow(/"a", "b", "c", "d", "e"/);
    expect(() => manager.open('a', { url: h.url })).toThrow(expect.objectContaining({ code: 'duplicate_channel' }));
    // A closing channel keeps its slot until its socket is really closed: the platform still counts it.
    const e = manager.get('e') as Channel;
    const closed = reach(e, 'closed');
    manager.close('e');
    expect(() => manager.open('f', { url: h.url })).toThrow(/"a", "b", "c", "d", 1 closing/);
    await closed;
    expect(manager.open('f', { url: h.url }).name).toBe('f');
  });

  it('a closed name is free at once; the old channel finishes closing without touching the new one', async () => {
    await start();
    const [old] = (await openAll(['x'])) as [Channel];
    const oldClosed = reach(old, 'closed');
    manager.close('x');
    expect(old.state).toBe('closing');
    expect(manager.get('x')).toBeUndefined();
    expect(manager.names).toEqual([]);
    const fresh = manager.open('x', { url: h.url });
    expect(manager.get('x')).toBe(fresh);
    await oldClosed;
    await reach(fresh, 'open');
    expect(manager.get('x')).toBe(fresh);
    expect(manager.names).toEqual(['x']);
    // The name is free the same way when the channel itself is closed.
    const freshClosed = reach(fresh, 'closed');
    fresh.close();
    const third = manager.open('x', { url: h.url });
    await freshClosed;
    expect(manager.get('x')).toBe(third);
  });

  it('a reconnecting channel keeps its slot', async () => {
    await start({ maxSockets: 1 });
    const [only] = await openAll(['only']);
    const lost = next(only as Channel, 'reconnecting');
    h.drop();
    await lost;
    expect(() => manager.open('other', { url: h.url })).toThrow(expect.objectContaining({ code: 'too_many_channels' }));
  });

  it('closing the manager releases every timer, listener and pending promise, and nothing reconnects', async () => {
    await start();
    const [game, chat] = await openAll(['game', 'chat']);
    h.server.handle('slow', () => new Promise(() => undefined));
    const pending = expect((chat as Channel).request('slow', null, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'closed' });
    const waiting = expect((game as Channel).waitFor('never', { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'closed' });
    const closed = Promise.all([reach(game as Channel, 'closed'), reach(chat as Channel, 'closed')]);
    manager.close();
    await closed;
    await pending;
    await waiting;
    expect(h.clock.pending).toBe(0);
    expect(manager.names).toEqual([]);
    expect((game as Channel).listenerCount + (chat as Channel).listenerCount).toBe(0);
    if (kind === 'websocket') expect((h.lifecycle as unknown as { listeners: number }).listeners).toBe(0);
    const sockets = h.sockets;
    h.clock.advance(600_000);
    expect(h.sockets).toBe(sockets);
    expect(() => manager.open('again', { url: h.url })).toThrow(expect.objectContaining({ code: 'closed' }));
  });

  it('on hide: heartbeats stop; after hideGraceMs the sockets close and channels are suspended; on show they reconnect', async () => {
    await start({ hideGraceMs: 3000, showStaggerMs: 200 });
    const [game] = await openAll(['game', 'chat']);
    const states = recordStates(game as Channel);
    h.hide();
    const suspended = reach(game as Channel, 'suspended');
    h.clock.advance(3000);
    await suspended;
    expect(manager.stats().map((s) => s.state)).toEqual(['suspended', 'suspended']);
    // Hidden for long (past the platform's 5 s cut): no attempts are spent meanwhile.
    h.clock.advance(60_000);
    expect((game as Channel).stats().attempt).toBe(0);
    const reopened = Promise.all(manager.names.map((n) => reach(manager.get(n) as Channel, 'open')));
    h.show();
    h.clock.advance(200); // the stagger: 0.5 * 200 ms
    await reopened;
    expect(states).toEqual(['suspended:hidden', 'connecting:shown', 'handshaking:socket_open', 'open:welcome']);
  });

  it('shown again within the grace period: the channel stays open and is probed with a PING at once', async () => {
    await start({ hideGraceMs: 3000 });
    const [game] = await openAll(['game']);
    const states = recordStates(game as Channel);
    h.hide();
    h.clock.advance(2000);
    const probed = next(game as Channel, 'pong');
    h.show();
    await probed;
    expect(states).toEqual([]);
  });

  it('network lost: suspended without spending attempts; network back: an immediate attempt', async () => {
    await start();
    const [chat] = await openAll(['chat']);
    const states = recordStates(chat as Channel);
    const suspended = reach(chat as Channel, 'suspended');
    h.networkDown();
    await suspended;
    h.clock.advance(120_000);
    expect((chat as Channel).stats().attempt).toBe(0);
    const reopened = reach(chat as Channel, 'open');
    h.networkUp();
    await reopened;
    expect(states).toEqual(['suspended:offline', 'connecting:online', 'handshaking:socket_open', 'open:welcome']);
  });

  it('hidden and offline interleaved: it reconnects only once both are over', async () => {
    await start({ hideGraceMs: 3000, showStaggerMs: 0 });
    const [chat] = await openAll(['chat']);
    const suspended = reach(chat as Channel, 'suspended');
    h.hide();
    h.clock.advance(3000);
    await suspended;
    h.networkDown();
    h.show();
    expect((chat as Channel).state).toBe('suspended');
    const reopened = reach(chat as Channel, 'open');
    h.networkUp();
    await reopened;
  });
});

describe('the platform refusing a socket (wx)', () => {
  it('is reported as socket_limit and retried with growing backoff, never in a tight loop', async () => {
    const h = await startHarness('wx', {}, { maxSockets: 1 });
    const manager = new ConnectionManager({ transport: h.transport, clock: h.clock, random: () => 0.5 });
    try {
      const first = manager.open('first', { url: h.url });
      await reach(first, 'open');
      const second = manager.open('second', { url: h.url });
      const errors: TransportError[] = [];
      second.on('error', (e) => errors.push(e as TransportError));
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await next(second, 'reconnecting');
        delays.push(r.delayMs);
        h.clock.advance(r.delayMs);
      }
      expect(errors[0]).toBeInstanceOf(TransportError);
      expect(errors[0]?.code).toBe('socket_limit');
      expect(errors[0]?.message).toMatch(/at most 5 at once/);
      expect(delays).toEqual([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.5)));
      // One platform call per attempt: 1 for "first"; for "second" its first attempt and the 4 retries above.
      expect(h.emulator?.connectCalls.length).toBe(1 + 1 + 4);
    } finally {
      manager.close();
      await h.close();
    }
  });
});
