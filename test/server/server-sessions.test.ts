import { inspect } from 'node:util';
import { createServer, type SessionEndEvent } from '../../server';
import { CloseCode } from '../../src/codes';
import { QueueFullError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { answerSync, reliable, serverSuite, sync } from '../support/servers';

const suite = serverSuite(answerSync);
const { start, connected } = suite;

/** Closes the client and waits until the server has seen the disconnect. */
async function disconnect(client: ProtocolClient): Promise<void> {
  const gone = nextEvent(suite.server.events, 'disconnect');
  await client.close();
  await gone;
}

/** The frames of the RELIABLE messages that follow, as [seq, topic, payload]. */
async function reliables(client: ProtocolClient, count: number): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (let i = 0; i < count; i++) out.push((await client.expect(Op.Reliable)).slice(1));
  return out;
}

test('resume within the window retransmits exactly what each side lacks, in order, before anything new', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const delivered: unknown[] = [];
  srv.on('note', (payload, ctx) => void delivered.push([payload, ctx.kind, ctx.seq, ctx.session.publicId]));
  const a = await connected();
  expect(a).toMatchObject({ resumed: false, welcome: { resumed: false, recv: 0 } });

  for (let seq = 1; seq <= 5; seq++) a.client.send(reliable(seq, 'note', `c${seq}`));
  await sync(a.client);
  clock.advance(200);
  expect(await a.client.next()).toEqual([Op.Ack, 5]);

  for (let n = 1; n <= 5; n++) expect(srv.sendReliable(a.connection, 'news', n)).toBe(true);
  expect(await reliables(a.client, 5)).toEqual([1, 2, 3, 4, 5].map((n) => [n, 'news', n]));
  a.client.send([Op.Ack, 3]);
  await sync(a.client);
  expect(a.session.unacked).toBe(2);
  await disconnect(a.client);

  // Sent while the client is away: through the closed connection's handle, and by session id.
  expect(a.connection.sendReliable('news', 6)).toBe(true);
  expect(srv.sendReliable(a.welcome.session, 'news', 7)).toBe(true);
  srv.events.once('connection', ({ session }) => void session.sendReliable('news', 'new'));
  const b = await connected({ session: a.welcome.session, recv: 3 });

  expect(b.welcome).toMatchObject({ session: a.welcome.session, resumed: true, recv: 5 });
  expect(b).toMatchObject({ resumed: true });
  expect(b.session).toBe(a.session);
  expect(await reliables(b.client, 5)).toEqual([
    [4, 'news', 4],
    [5, 'news', 5],
    [6, 'news', 6],
    [7, 'news', 7],
    [8, 'news', 'new'],
  ]);
  expect(b.client.received.map((r) => r.frame[0])).toEqual([Op.Welcome, ...Array(5).fill(Op.Reliable)]);

  // The client re-sends what it does not know was delivered: 5 is a duplicate, 6 is new.
  b.client.send(reliable(5, 'note', 'c5 again'), reliable(6, 'note', 'c6'));
  await sync(b.client);
  clock.advance(200);
  expect(await b.client.next()).toEqual([Op.Ack, 6]);
  const me = a.session.publicId;
  expect(delivered).toEqual([
    ...[1, 2, 3, 4, 5].map((n) => [`c${n}`, 'reliable', n, me]),
    ['c6', 'reliable', 6, me],
  ]);
  expect(srv.sessions.size).toBe(1);
  expect(inspect(a.session) + JSON.stringify(a.session)).not.toContain(a.welcome.session);
});

test('WELCOME recv counts what was delivered even when its ACK never left; the pending ACK dies with the socket', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const delivered: unknown[] = [];
  srv.on('note', (payload) => void delivered.push(payload));
  const a = await connected();
  a.client.send(reliable(1, 'note', 1), reliable(2, 'note', 2));
  await sync(a.client);
  await disconnect(a.client);
  // The ACK timer was stopped with the connection: nothing is left but the session's expiry.
  expect(clock.pending).toBe(1);

  const b = await connected({ session: a.welcome.session, recv: 0 });
  expect(b.welcome).toMatchObject({ resumed: true, recv: 2 });
  b.client.send(reliable(2, 'note', 'two again'), reliable(3, 'note', 3));
  await sync(b.client);
  clock.advance(200);
  expect(await b.client.next()).toEqual([Op.Ack, 3]);
  expect(delivered).toEqual([1, 2, 3]);
});

test('a session resumes up to resumeWindowMs (default 2 minutes) after the disconnect, and not from then on', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const a = await connected();
  await disconnect(a.client);

  clock.advance(119_999);
  const b = await connected({ session: a.welcome.session, recv: 0 });
  expect(b.welcome).toMatchObject({ session: a.welcome.session, resumed: true });
  await disconnect(b.client);

  srv.sendReliable(b.session, 'news', 'lost to the protocol');
  const ended = nextEvent(srv.events, 'sessionEnd');
  clock.advance(119_999);
  expect(srv.sessions.size).toBe(1);
  clock.advance(1);
  expect(await ended).toEqual({ session: a.session, reason: 'expired', livesOn: false });
  expect(a.session.ended).toBe(true);
  expect(srv.sessions.size).toBe(0);
  expect(clock.pending).toBe(0);
  expect(srv.sendReliable(a.welcome.session, 'news', 1)).toBe(false);
  expect(a.session.sendReliable('news', 1)).toBe(false);

  const c = await connected({ session: a.welcome.session, recv: 0 });
  expect(c.welcome).toMatchObject({ resumed: false, recv: 0 });
  expect(c.welcome.session).not.toBe(a.welcome.session);
  expect(c.resumed).toBe(false);
  expect(c.session.publicId).not.toBe(a.session.publicId);
  await sync(c.client);
  expect(c.client.received.map((r) => r.frame[0])).toEqual([Op.Welcome, Op.Reply]);
});

test('a resume needs session and recv, the same channel and a recv the server did send; otherwise a new session', async () => {
  const srv = await start();
  const a = await connected({ channel: 'chat' });
  srv.sendReliable(a.session, 'news', 1);
  await a.client.expect(Op.Reliable);
  await disconnect(a.client);

  const otherChannel = await connected({ channel: 'game', session: a.welcome.session, recv: 1 });
  const noRecv = await connected({ channel: 'chat', session: a.welcome.session });
  const tooFar = await connected({ channel: 'chat', session: a.welcome.session, recv: 2 });
  for (const attempt of [otherChannel, noRecv, tooFar]) {
    expect(attempt.welcome).toMatchObject({ resumed: false, recv: 0 });
    expect(attempt.welcome.session).not.toBe(a.welcome.session);
  }
  // The session is still there for its own client.
  const b = await connected({ channel: 'chat', session: a.welcome.session, recv: 1 });
  expect(b.welcome).toMatchObject({ resumed: true, recv: 0 });
  expect(srv.sessions.size).toBe(4);
});

test('resuming a session that is still attached closes the old connection with BYE 4104 (terminal) first', async () => {
  const srv = await start();
  const delivered: unknown[] = [];
  srv.on('note', (payload) => void delivered.push(payload));
  const a = await connected();
  a.client.send(reliable(1, 'note', 'one'));
  await sync(a.client);
  srv.sendReliable(a.session, 'news', 'x');
  await a.client.expect(Op.Reliable);

  const oldGone = nextEvent(srv.events, 'disconnect');
  const b = await connected({ session: a.welcome.session, recv: 0 });
  const { bye, close } = await a.client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.SessionTakenOver, 'session taken over']);
  expect(close.code).toBe(CloseCode.SessionTakenOver);
  expect(b.welcome).toMatchObject({ session: a.welcome.session, resumed: true, recv: 1 });
  expect(await reliables(b.client, 1)).toEqual([[1, 'news', 'x']]);

  // The old socket's close must not detach the session from the new one.
  expect((await oldGone).connection).toBe(a.connection);
  expect(b.session.connection).toBe(b.connection);
  b.client.send(reliable(2, 'note', 'two'));
  await sync(b.client);
  expect(delivered).toEqual(['one', 'two']);
});

test('a duplicate RELIABLE is dropped and acknowledged again; PUSH handlers see kind push', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const delivered: unknown[] = [];
  srv.on('note', (payload, ctx) => void delivered.push([payload, ctx.kind, ctx.seq]));
  const { client } = await connected();

  client.send(reliable(1, 'note', 'a'), reliable(2, 'note', 'b'), [Op.Push, 'note', 'p']);
  await sync(client);
  clock.advance(199);
  expect(client.queued).toBe(0);
  clock.advance(1);
  expect(await client.next()).toEqual([Op.Ack, 2]);

  client.send(reliable(2, 'note', 'b again'), reliable(1, 'note', 'a again'));
  await sync(client);
  clock.advance(200);
  expect(await client.next()).toEqual([Op.Ack, 2]);
  expect(delivered).toEqual([
    ['a', 'reliable', 1],
    ['b', 'reliable', 2],
    ['p', 'push', undefined],
  ]);
});

test('the server acknowledges every reliable.ackEvery messages at once, else after ackDelayMs', async () => {
  const clock = new ManualClock();
  await start({ clock, reliable: { ackEvery: 3, ackDelayMs: 50 } });
  const { client } = await connected();

  client.send(reliable(1, 'n', 1), reliable(2, 'n', 2), reliable(3, 'n', 3), reliable(4, 'n', 4));
  expect(await client.next()).toEqual([Op.Ack, 3]);
  await sync(client);
  clock.advance(50);
  expect(await client.next()).toEqual([Op.Ack, 4]);
});

test('a RELIABLE gap is a protocol error: BYE 4400, and no frame of its message is delivered', async () => {
  const srv = await start();
  const delivered: unknown[] = [];
  srv.on('note', (payload) => void delivered.push(payload));
  const a = await connected();
  const reported = nextEvent(srv.events, 'protocolError');

  a.client.send(reliable(1, 'note', 'one'), reliable(3, 'note', 'three'));

  const { bye, close } = await a.client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.ProtocolError, 'RELIABLE seq 3 skips ahead of 2']);
  expect(close.code).toBe(CloseCode.ProtocolError);
  expect((await reported).error.code).toBe('bad_frame');
  expect(delivered).toEqual([]);
  // The session survives a protocol error: the client reconnects and resumes.
  const b = await connected({ session: a.welcome.session, recv: 0 });
  expect(b.welcome).toMatchObject({ resumed: true, recv: 0 });
});

test('an ACK releases what it covers; an ACK above what was sent is a protocol error', async () => {
  const srv = await start();
  const { client, session } = await connected();
  for (let n = 1; n <= 3; n++) srv.sendReliable(session, 'news', n);
  await reliables(client, 3);

  client.send([Op.Ack, 2]);
  await sync(client);
  expect(session.unacked).toBe(1);
  client.send([Op.Ack, 1]);
  await sync(client);
  expect(session.unacked).toBe(1);

  client.send([Op.Ack, 4]);
  expect((await client.expectBye()).bye).toEqual([Op.Bye, CloseCode.ProtocolError, 'ACK 4 acknowledges more than the 3 RELIABLE sent']);
});

test('a detached session whose buffer overflows is ended (sessionEnd overflow); its client gets a new session', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, reliable: { maxUnacked: 3 } });
  const a = await connected();
  await disconnect(a.client);
  const ended: SessionEndEvent[] = [];
  srv.events.on('sessionEnd', (event) => ended.push(event));

  for (let n = 1; n <= 3; n++) expect(srv.sendReliable(a.session, 'news', n)).toBe(true);
  expect(ended).toEqual([]);
  expect(srv.sendReliable(a.session, 'news', 4)).toBe(false);
  expect(ended).toEqual([{ session: a.session, reason: 'overflow', livesOn: false }]);
  expect(srv.sessions.size).toBe(0);
  expect(clock.pending).toBe(0);

  const b = await connected({ session: a.welcome.session, recv: 0 });
  expect(b.welcome).toMatchObject({ resumed: false, recv: 0 });
});

test('a connected client with a full buffer: sendReliable throws QueueFullError, or ends the session if asked', async () => {
  const srv = await start({ reliable: { maxUnacked: 2 } });
  const { client, session } = await connected();
  srv.sendReliable(session, 'news', 1);
  srv.sendReliable(session, 'news', 2);

  expect(() => srv.sendReliable(session, 'news', 3)).toThrow(QueueFullError);
  expect(session.ended).toBe(false);
  expect(await reliables(client, 2)).toEqual([
    [1, 'news', 1],
    [2, 'news', 2],
  ]);
  client.send([Op.Ack, 1]);
  await sync(client);
  expect(srv.sendReliable(session, 'news', 3)).toBe(true);
  expect(await reliables(client, 1)).toEqual([[3, 'news', 3]]);

  const ended = nextEvent(srv.events, 'sessionEnd');
  expect(srv.sendReliable(session, 'news', 4, { ifFull: 'end-session' })).toBe(false);
  expect(await ended).toEqual({ session, reason: 'overflow', livesOn: false });
  expect((await client.expectBye()).bye).toEqual([Op.Bye, CloseCode.ServerRestart, 'session dropped: reliable buffer full']);
});

test('a payload that could never fit a session buffer, or a bad topic or target, is a UsageError', async () => {
  const srv = await start({ reliable: { maxUnackedBytes: 100 } });
  const { client, session, connection } = await connected();
  await disconnect(client);

  expect(() => srv.sendReliable(session, 'news', 'x'.repeat(100))).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  expect(() => connection.sendReliable('', 1)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  expect(() => srv.sendReliable(42 as unknown as string, 'news', 1)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  expect(() => srv.broadcastReliable([session], 'news', 'x'.repeat(100))).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  expect(session.ended).toBe(false);
  expect(srv.sendReliable(session, 'news', 'fits')).toBe(true);
  expect(srv.sendReliable('no-such-session', 'news', 1)).toBe(false);
});

test('broadcastReliable numbers one message per session and ends (not fails on) a session that is full', async () => {
  const srv = await start({ reliable: { maxUnacked: 1 } });
  const a = await connected();
  const b = await connected();
  const c = await connected();
  srv.sendReliable(b.session, 'first', 'fills b');
  await b.client.expect(Op.Reliable);
  const ended = nextEvent(srv.events, 'sessionEnd');

  expect(srv.broadcastReliable([a.session, b.connection, c.welcome.session, 'unknown'], 'all', { n: 1 })).toBe(2);
  expect(await ended).toEqual({ session: b.session, reason: 'overflow', livesOn: false });
  expect(await reliables(a.client, 1)).toEqual([[1, 'all', { n: 1 }]]);
  expect(await reliables(c.client, 1)).toEqual([[1, 'all', { n: 1 }]]);
  expect((await b.client.expectBye()).bye[1]).toBe(CloseCode.ServerRestart);
});

test('close() ends every session, attached or waiting, and leaves no timer', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const ended: SessionEndEvent[] = [];
  srv.events.on('sessionEnd', (event) => ended.push(event));
  const closing: unknown[] = [];
  srv.events.on('close', (event) => closing.push(event));
  const away = await connected();
  await disconnect(away.client);
  const here = await connected();
  here.client.send(reliable(1, 'n', 1));
  await sync(here.client);
  expect(clock.pending).toBeGreaterThan(0);

  await srv.close({ code: 4000, reason: 'restart' });
  expect(closing).toEqual([{ code: 4000, reason: 'restart' }]);
  expect(ended.map((e) => [e.session, e.reason])).toEqual([
    [away.session, 'server_closed'],
    [here.session, 'server_closed'],
  ]);
  expect(srv.sessions.size).toBe(0);
  expect(clock.pending).toBe(0);
});

test('resumeWindowMs 0 frees a session at the disconnect; bad session options are refused', async () => {
  const srv = await start({ resumeWindowMs: 0 });
  const a = await connected();
  const ended = nextEvent(srv.events, 'sessionEnd');
  await disconnect(a.client);
  expect(await ended).toEqual({ session: a.session, reason: 'expired', livesOn: false });
  expect(srv.sessions.size).toBe(0);

  expect(() => createServer({ resumeWindowMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining('resumeWindowMs') }));
  expect(() => createServer({ reliable: { ackEvery: 0 } })).toThrow(expect.objectContaining({ message: expect.stringContaining('reliable.ackEvery') }));
  expect(() => createServer({ reliable: { maxUnacked: 1.5 } })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
});
