import type { ErrorEvent } from '../../server';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

const suite = serverSuite();
const { start } = suite;
const connected = (channel = 'test') => suite.connected({ channel });

/** A REQUEST answered after everything the client sent before it was handled: frames are read in order. */
async function sync(client: ProtocolClient, id = 999): Promise<void> {
  expect(await client.call(id, 'sync', null)).toEqual([Op.Reply, id, 'synced']);
}

test('a PUSH reaches every matching handler (exact, +, #) in registration order, and no other', async () => {
  const srv = await start();
  srv.handle('sync', () => 'synced');
  const calls: string[] = [];
  srv.on('room/42/message', (payload, ctx) => void calls.push(`exact ${String(payload)} ${ctx.topic} ${ctx.connection.channel}`));
  srv.on('room/+/message', (payload, ctx) => void calls.push(`plus ${String(payload)} ${ctx.topic}`));
  srv.on('room/#', (payload, ctx) => void calls.push(`hash ${String(payload)} ${ctx.topic}`));
  srv.on('room/+', () => void calls.push('room/+'));
  srv.on('lobby/#', () => void calls.push('lobby'));
  const { client } = await connected('chat');

  client.send([Op.Push, 'room/42/message', 'hi'], [Op.Push, 'room/7/message', 'yo'], [Op.Push, 'room', 'bare']);
  await sync(client);

  expect(calls).toEqual([
    'exact hi room/42/message chat',
    'plus hi room/42/message',
    'hash hi room/42/message',
    'plus yo room/7/message',
    'hash yo room/7/message',
    'hash bare room',
  ]);
});

test('a REQUEST is answered by the first matching handler; an unknown topic fails with not_found', async () => {
  const srv = await start();
  srv.handle('math/add', (payload) => (payload as number[]).reduce((a, b) => a + b, 0));
  srv.handle('math/+', (payload, ctx) => `${ctx.topic.slice(5)} of ${JSON.stringify(payload)}`);
  srv.handle('files/#', async (_payload, ctx) => ({ path: ctx.topic, bytes: new Uint8Array([1, 2]) }));
  const { client } = await connected();

  expect(await client.call(1, 'math/add', [1, 2, 3])).toEqual([Op.Reply, 1, 6]);
  expect(await client.call(2, 'math/mul', [2])).toEqual([Op.Reply, 2, 'mul of [2]']);
  expect(await client.call(3, 'files/a/b', null)).toEqual([Op.Reply, 3, { path: 'files/a/b', bytes: new Uint8Array([1, 2]) }]);
  expect(await client.call(4, 'math', null)).toEqual([Op.Fail, 4, 'not_found', expect.stringContaining('"math"')]);
});

test('a thrown error becomes FAIL with its string code (sync or async); anything else is internal and reported', async () => {
  const srv = await start();
  const errors: ErrorEvent[] = [];
  srv.events.on('error', (event) => errors.push(event));
  srv.handle('denied', () => {
    throw Object.assign(new Error('not yours'), { code: 'forbidden' });
  });
  srv.handle('later', async () => {
    throw Object.assign(new Error('try later'), { code: 'busy' });
  });
  srv.handle('bug', () => {
    throw new TypeError('x is undefined');
  });
  srv.handle('numeric', () => {
    throw Object.assign(new Error('numbered'), { code: 42 });
  });
  const { client, connection } = await connected();

  expect(await client.call(1, 'denied', null)).toEqual([Op.Fail, 1, 'forbidden', 'not yours']);
  expect(await client.call(2, 'later', null)).toEqual([Op.Fail, 2, 'busy', 'try later']);
  expect(await client.call(3, 'bug', null)).toEqual([Op.Fail, 3, 'internal', 'x is undefined']);
  expect(await client.call(4, 'numeric', null)).toEqual([Op.Fail, 4, 'internal', 'numbered']);
  expect(errors.map((e) => [e.error.message, e.connection])).toEqual([
    ['a REQUEST handler for "bug" threw: x is undefined', connection],
    ['a REQUEST handler for "numeric" threw: numbered', connection],
  ]);
});

test('a reply that cannot be encoded becomes a FAIL, and the connection stays open', async () => {
  const srv = await start({ limits: { maxFrameBytes: 1024 } });
  srv.handle('big', () => 'x'.repeat(2_000));
  srv.handle('sync', () => 'synced');
  const { client } = await connected();

  expect(await client.call(1, 'big', null)).toEqual([Op.Fail, 1, 'payload_too_large', expect.stringContaining('maxFrameBytes')]);
  await sync(client);
});

test('handle() and on() return their undo', async () => {
  const srv = await start();
  srv.handle('sync', () => 'synced');
  const pushes: unknown[] = [];
  const offPush = srv.on('note', (payload) => void pushes.push(payload));
  const offAnswer = srv.handle('answer', () => 42);
  const { client } = await connected();

  expect(await client.call(1, 'answer', null)).toEqual([Op.Reply, 1, 42]);
  client.send([Op.Push, 'note', 'one']);
  await sync(client, 2);
  offAnswer();
  offPush();
  expect((await client.call(3, 'answer', null)).slice(0, 3)).toEqual([Op.Fail, 3, 'not_found']);
  client.send([Op.Push, 'note', 'two']);
  await sync(client, 4);
  expect(pushes).toEqual(['one']);
});

test('a throwing or rejecting PUSH handler is reported and isolated: other handlers, the connection and other clients go on', async () => {
  const srv = await start();
  srv.handle('sync', () => 'synced');
  srv.handle('echo', (payload) => payload);
  const calls: string[] = [];
  srv.on('boom', () => {
    throw new Error('sync boom');
  });
  srv.on('boom', async () => {
    throw new Error('async boom');
  });
  srv.on('#', (_payload, ctx) => void calls.push(ctx.topic));
  const errors: string[] = [];
  const bothReported = new Promise<void>((resolve) =>
    srv.events.on('error', ({ error }) => {
      errors.push(error.message);
      if (errors.length === 2) resolve();
    }),
  );
  const a = await connected();
  const b = await connected();

  a.client.send([Op.Push, 'boom', null]);
  await sync(a.client);
  await bothReported;
  expect(calls).toEqual(['boom']);
  expect(errors.sort()).toEqual(['a PUSH handler for "boom" threw: async boom', 'a PUSH handler for "boom" threw: sync boom']);
  expect(await a.client.call(1, 'echo', 'a')).toEqual([Op.Reply, 1, 'a']);
  expect(await b.client.call(1, 'echo', 'b')).toEqual([Op.Reply, 1, 'b']);
});

test('answers produced in the same turn share one WebSocket message', async () => {
  const srv = await start();
  srv.handle('echo', (payload) => payload);
  const { client } = await connected();

  client.send([Op.Request, 1, 'echo', 'a'], [Op.Request, 2, 'echo', 'b'], [Op.Ping, 7]);
  expect(await client.next()).toEqual([Op.Reply, 1, 'a']);
  expect(await client.next()).toEqual([Op.Reply, 2, 'b']);
  expect(await client.next()).toEqual([Op.Pong, 7, expect.any(Number)]);
  const messages = new Set(client.received.slice(-3).map((r) => r.message));
  expect(messages.size).toBe(1);
});

test('server.push and ctx.connection.push deliver PUSH frames; push to a closed or unknown connection returns false', async () => {
  const srv = await start();
  srv.on('echo', (payload, ctx) => void ctx.connection.push('echo', payload));
  const { client, connection } = await connected();

  expect(srv.push(connection, 'news', { n: 1 })).toBe(true);
  expect(srv.push(connection.id, 'news', { n: 2 })).toBe(true);
  client.send([Op.Push, 'echo', 'back']);
  expect(await client.next()).toEqual([Op.Push, 'news', { n: 1 }]);
  expect(await client.next()).toEqual([Op.Push, 'news', { n: 2 }]);
  expect(await client.next()).toEqual([Op.Push, 'echo', 'back']);
  expect(srv.push('c999', 'news', 1)).toBe(false);
  expect(() => srv.push(connection, '', 1)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));

  const gone = nextEvent(srv.events, 'disconnect');
  await client.close();
  await gone;
  expect(srv.push(connection, 'news', 3)).toBe(false);
});

test('broadcast sends one PUSH to every open connection the filter accepts', async () => {
  const srv = await start();
  const red1 = await connected('red');
  const red2 = await connected('red');
  const blue = await connected('blue');

  expect(srv.broadcast('score', { red: 3 }, (c) => c.channel === 'red')).toBe(2);
  srv.push(blue.connection, 'direct', 'only-you');
  expect(await red1.client.next()).toEqual([Op.Push, 'score', { red: 3 }]);
  expect(await red2.client.next()).toEqual([Op.Push, 'score', { red: 3 }]);
  // Frames arrive in order, so a direct PUSH coming first proves blue got no broadcast.
  expect(await blue.client.next()).toEqual([Op.Push, 'direct', 'only-you']);

  expect(srv.broadcast('all', 1)).toBe(3);
  for (const { client } of [red1, red2, blue]) expect(await client.next()).toEqual([Op.Push, 'all', 1]);
});

test('a server-to-client request resolves with the REPLY and rejects with the FAIL code', async () => {
  const srv = await start();
  const { client, connection } = await connected();

  const answered = srv.request(connection, 'client/version', { detail: true });
  const [, id, topic, payload] = await client.expect(Op.Request);
  expect([topic, payload]).toEqual(['client/version', { detail: true }]);
  client.send([Op.Reply, id, '1.2.3']);
  await expect(answered).resolves.toBe('1.2.3');

  const refused = connection.request('client/secret', null);
  const [, id2] = await client.expect(Op.Request);
  expect(id2).not.toBe(id);
  client.send([Op.Fail, id2, 'forbidden', 'no']);
  await expect(refused).rejects.toMatchObject({ name: 'RemoteError', code: 'forbidden', message: 'no' });
});

test('a server-to-client request times out on the clock, ignores a late REPLY, and is rejected on disconnect', async () => {
  const clock = new ManualClock();
  // resumeWindowMs 0: the session is freed with its connection, so no expiry timer is left to count.
  const srv = await start({ clock, requestTimeoutMs: 5_000, resumeWindowMs: 0 });
  srv.handle('sync', () => 'synced');
  const { client, connection } = await connected();

  const slow = srv.request(connection, 'slow', null, { timeoutMs: 1_000 });
  const [, slowId] = await client.expect(Op.Request);
  clock.advance(999);
  const defaulted = srv.request(connection.id, 'default', null);
  await client.expect(Op.Request);
  clock.advance(1);
  await expect(slow).rejects.toMatchObject({ name: 'ServerError', code: 'timeout' });
  client.send([Op.Reply, slowId, 'too late']);
  await sync(client);

  clock.advance(3_999);
  const dropped = expect(defaulted).rejects.toMatchObject({ code: 'disconnected' });
  await client.close();
  await dropped;
  await expect(srv.request(connection, 'after', null)).rejects.toMatchObject({ code: 'not_open' });
  expect(clock.pending).toBe(0);
});
