import { inspect } from 'node:util';
import type { ReferenceServer, ServerEventMap } from '../../server';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

const { start, connect } = serverSuite();

/** Every event the server emits, in order, for checks over all of them. */
function recordEvents(target: ReferenceServer): { name: string; event: unknown }[] {
  const log: { name: string; event: unknown }[] = [];
  for (const name of ['connection', 'disconnect', 'error', 'protocolError'] as const satisfies readonly (keyof ServerEventMap)[]) {
    target.events.on(name, (event) => log.push({ name, event }));
  }
  return log;
}

test('WELCOME carries v 1, a fresh random session, heartbeatMs, the clock time, resumed false and recv 0', async () => {
  const clock = new ManualClock(1_700_000_123_456);
  const srv = await start({ clock, heartbeatMs: 12_000 });
  const connected = nextEvent(srv.events, 'connection');
  const a = await connect();
  const welcome = await a.hello({ channel: 'game' });

  expect(welcome).toEqual({
    v: 1,
    session: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
    heartbeatMs: 12_000,
    time: 1_700_000_123_456,
    resumed: false,
    recv: 0,
    early: 64 * 1024,
  });
  expect(a.received.map((r) => r.frame[0])).toEqual([Op.Welcome]);
  const { connection } = await connected;
  expect(connection).toMatchObject({ channel: 'game', session: welcome.session, remoteAddress: '127.0.0.1', state: 'open' });
  expect(srv.connections.get(connection.id)).toBe(connection);

  const b = await connect();
  expect((await b.hello()).session).not.toBe(welcome.session);
  expect(srv.connections.size).toBe(2);
});

test('a HELLO asking for version 2 gets BYE 4103 and the socket closes with 4103', async () => {
  const srv = await start();
  const reported = nextEvent(srv.events, 'protocolError');
  const client = await connect();
  client.send([Op.Hello, { v: 2, channel: 'game' }]);

  const { bye, close } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.UnsupportedVersion, expect.stringContaining('version 2')]);
  expect(close.code).toBe(CloseCode.UnsupportedVersion);
  expect((await reported).error.code).toBe('unsupported_version');
  expect(srv.connections.size).toBe(0);
});

test('authenticate refusing (false or a throw) gets BYE 4101 unauthorized, and the token is in no event or error', async () => {
  const token = 'tok-5ecret-7d1f';
  const srv = await start({
    authenticate: (given, hello) => {
      if (hello.channel === 'throws') throw new Error(`token ${String(given)} is revoked`);
      return false;
    },
  });
  const log = recordEvents(srv);

  const refused = await connect();
  refused.send([Op.Hello, { v: 1, channel: 'refused', token }]);
  const first = await refused.expectBye();
  expect(first.bye).toEqual([Op.Bye, CloseCode.Unauthorized, 'unauthorized']);
  expect(first.close).toEqual({ code: CloseCode.Unauthorized, reason: 'unauthorized' });

  const throws = await connect();
  throws.send([Op.Hello, { v: 1, channel: 'throws', token }]);
  expect((await throws.expectBye()).bye).toEqual([Op.Bye, CloseCode.Unauthorized, 'unauthorized']);

  const badVersion = await connect();
  badVersion.send([Op.Hello, { v: 9, channel: 'x', token }]);
  expect((await badVersion.expectBye()).bye[1]).toBe(CloseCode.UnsupportedVersion);

  expect(log.map((entry) => entry.name)).toEqual(['error', 'protocolError']);
  expect((log[0]?.event as ServerEventMap['error']).error).toMatchObject({ code: 'authenticate_failed' });
  const everything = inspect(log, { depth: Infinity, showHidden: true }) + JSON.stringify(log);
  expect(everything).not.toContain(token);
  expect(srv.connections.size).toBe(0);
});

test('an async authenticate that resolves an object accepts; it becomes connection.user and saw the token and HELLO', async () => {
  const seen: unknown[] = [];
  const srv = await start({
    authenticate: async (token, hello) => {
      seen.push(token, hello.channel, hello.session);
      return { name: 'alice' };
    },
  });
  const connected = nextEvent(srv.events, 'connection');
  const client = await connect();
  await client.hello({ channel: 'game', token: 't1', session: 's0', recv: 3 });

  expect(seen).toEqual(['t1', 'game', 's0']);
  expect((await connected).connection.user).toEqual({ name: 'alice' });
});

test('a first frame other than HELLO gets BYE 4400 before anything else', async () => {
  const srv = await start();
  const reported = nextEvent(srv.events, 'protocolError');
  const client = await connect();
  client.send([Op.Ping, 1]);

  const { bye, close } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.ProtocolError, 'the first frame must be HELLO, got PING']);
  expect(close.code).toBe(CloseCode.ProtocolError);
  expect(client.received).toHaveLength(1);
  expect((await reported).error.code).toBe('unexpected_frame');
});

test('a frame sent after HELLO but before WELCOME gets BYE 4400, and a late accept opens nothing', async () => {
  let accept: (result: boolean) => void = () => undefined;
  let markCalled: () => void = () => undefined;
  const called = new Promise<void>((resolve) => (markCalled = resolve));
  const srv = await start({
    authenticate: () => {
      markCalled();
      return new Promise<boolean>((resolve) => (accept = resolve));
    },
  });
  const log = recordEvents(srv);
  const client = await connect();
  client.send([Op.Hello, { v: 1, channel: 'game' }]);
  await called;
  client.send([Op.Ping, 5]);

  const { bye } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.ProtocolError, 'PING sent before WELCOME']);
  accept(true);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(log.map((entry) => entry.name)).toEqual(['protocolError']);
  expect(client.received.map((r) => r.frame[0])).toEqual([Op.Bye]);
  expect(srv.connections.size).toBe(0);
});

test('a socket that sends no HELLO within helloTimeoutMs gets BYE 4001; one that does in time is welcomed', async () => {
  const clock = new ManualClock();
  await start({ clock, helloTimeoutMs: 10_000 });
  const silent = await connect();
  const late = await connect();

  clock.advance(9_999);
  // Both sockets opened at the same clock time, so the welcome proves the shared deadline had not fired yet.
  await late.hello();
  expect(silent.received).toHaveLength(0);
  clock.advance(1);

  const { bye, close } = await silent.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.HeartbeatTimeout, 'no HELLO in time']);
  expect(close.code).toBe(CloseCode.HeartbeatTimeout);
  expect(late.isClosed).toBe(false);
});
