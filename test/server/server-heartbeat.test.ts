import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

const { start, connect, connected } = serverSuite();

test('PING is answered at once with PONG [clientTime, serverTime]', async () => {
  const clock = new ManualClock(1_700_000_000_500);
  await start({ clock });
  const { client } = await connected();

  client.send([Op.Ping, 1234]);
  expect(await client.expect(Op.Pong)).toEqual([Op.Pong, 1234, 1_700_000_000_500]);
  clock.advance(250);
  client.send([Op.Ping, 99]);
  expect(await client.expect(Op.Pong)).toEqual([Op.Pong, 99, 1_700_000_000_750]);
});

test('a silent connection gets BYE 4001 at heartbeatMs + grace (grace defaults to heartbeatMs)', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, heartbeatMs: 1_000 });
  const { client, connection } = await connected();
  const gone = nextEvent(srv.events, 'disconnect');

  clock.advance(1_999);
  expect(connection.state).toBe('open');
  clock.advance(1);
  expect(connection.state).toBe('closing');

  const { bye, close } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.HeartbeatTimeout, 'heartbeat timeout']);
  expect(close).toEqual({ code: CloseCode.HeartbeatTimeout, reason: 'heartbeat timeout' });
  expect(await gone).toMatchObject({ connection, code: CloseCode.HeartbeatTimeout, reason: 'heartbeat timeout' });
  expect(srv.connections.size).toBe(0);
});

test('an explicit heartbeatGraceMs sets the deadline', async () => {
  const clock = new ManualClock();
  await start({ clock, heartbeatMs: 1_000, heartbeatGraceMs: 200 });
  const { client, connection } = await connected();

  clock.advance(1_199);
  expect(connection.state).toBe('open');
  clock.advance(1);
  expect((await client.expectBye()).close.code).toBe(CloseCode.HeartbeatTimeout);
});

test('an active connection is never closed: every inbound frame moves the deadline', async () => {
  const clock = new ManualClock();
  await start({ clock, heartbeatMs: 1_000, heartbeatGraceMs: 1_000 });
  const { client, connection } = await connected();

  for (let i = 0; i < 5; i++) {
    clock.advance(1_500);
    client.send([Op.Ping, i]);
    // The PONG proves the server read the PING before the clock moves again.
    await client.expect(Op.Pong);
  }
  clock.advance(1_999);
  expect(connection.state).toBe('open');
  // Any frame counts, not only PING: a REQUEST (answered not_found) moves the deadline too.
  expect((await client.call(1, 'no/such/topic', null))[0]).toBe(Op.Fail);
  clock.advance(1_999);
  expect(connection.state).toBe('open');
  expect(client.isClosed).toBe(false);
});

test('timers that fire late (a frozen event loop) close a silent connection exactly once', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, heartbeatMs: 1_000 });
  const { client, connection } = await connected();
  const disconnects: number[] = [];
  srv.events.on('disconnect', ({ code }) => disconnects.push(code));

  clock.jump(60_000);
  expect(connection.state).toBe('closing');
  const { bye } = await client.expectBye();
  expect(bye[1]).toBe(CloseCode.HeartbeatTimeout);
  await srv.close();
  expect(disconnects).toEqual([CloseCode.HeartbeatTimeout]);
  expect(client.received.filter((r) => r.frame[0] === Op.Bye)).toHaveLength(1);
});

test('close() sends every client BYE 1000, rejects pending requests and leaves no timer running', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const a = await connected();
  const b = await connected();
  const handshaking = await connect();
  const pending = srv.request(a.connection, 'ask', 1).catch((err: unknown) => err);
  await a.client.expect(Op.Request);
  expect(clock.pending).toBeGreaterThan(0);

  const closed = srv.close();
  for (const client of [a.client, b.client, handshaking]) {
    const { bye, close } = await client.expectBye();
    expect(bye).toEqual([Op.Bye, CloseCode.Normal, 'server closing']);
    expect(close.code).toBe(CloseCode.Normal);
  }
  await closed;
  expect(await pending).toMatchObject({ code: 'disconnected' });
  expect(srv.connections.size).toBe(0);
  expect(clock.pending).toBe(0);
});
