import type { SessionEndEvent } from '../../server';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import { answerSync, reliable, serverSuite, sync } from '../support/servers';

/*
 * A HELLO whose `recv` is below what its client already acknowledged (PROTOCOL.md section 5): the frames in between
 * were released on the ACK, so resuming would skip them and the next seq would leave a gap. The server refuses the
 * resume: a new session whose WELCOME carries `previousRecv`, so nothing is lost in silence or applied twice.
 */

const suite = serverSuite(answerSync);
const { start, connected } = suite;

test('a resume with recv below the client ACK gets a new session with previousRecv; numbering restarts, no gap', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const delivered: unknown[] = [];
  srv.on('note', (payload) => void delivered.push(payload));
  const ended: SessionEndEvent[] = [];
  srv.events.on('sessionEnd', (event) => void ended.push(event));
  const a = await connected();
  // Applied by the server, never acknowledged to the client (the ACK timer has not run).
  a.client.send(reliable(1, 'note', 'c1'), reliable(2, 'note', 'c2'));
  for (let n = 1; n <= 4; n++) srv.sendReliable(a.session, 'news', n);
  for (let n = 1; n <= 4; n++) await a.client.expect(Op.Reliable);
  a.client.send([Op.Ack, 3]);
  await sync(a.client);
  expect(a.session.unacked).toBe(1);
  const gone = nextEvent(srv.events, 'disconnect');
  await a.client.close();
  await gone;

  // It acknowledged 3, and now says it has only 1: frames 2 and 3 are gone from the server.
  const b = await connected({ session: a.welcome.session, recv: 1 });
  expect(b.welcome).toMatchObject({ resumed: false, recv: 0, previousRecv: 2 });
  expect(b.welcome.session).not.toBe(a.welcome.session);
  expect(ended).toEqual([{ session: a.session, reason: 'resume_refused', livesOn: false }]);
  expect(a.session.ended).toBe(true);
  expect(srv.sessions.size).toBe(1);

  // Nothing of the old session is sent again: the next frame is seq 1 of the new one.
  srv.sendReliable(b.session, 'news', 'fresh');
  expect(await b.client.expect(Op.Reliable)).toEqual([Op.Reliable, 1, 'news', 'fresh']);
  // The client dropped c1 and c2 (covered by previousRecv) and numbers what follows from 1.
  b.client.send(reliable(1, 'note', 'c3'));
  await sync(b.client);
  expect(delivered).toEqual(['c1', 'c2', 'c3']);
  // The old session cannot be resumed any more, with any recv.
  const c = await connected({ session: a.welcome.session, recv: 3 });
  expect(c.welcome).toMatchObject({ resumed: false, recv: 0 });
  expect(c.welcome.session).not.toBe(a.welcome.session);
});

test('a recv below the ACK while the session is still attached: the old connection gets BYE 4104 as well', async () => {
  const srv = await start();
  const a = await connected();
  srv.sendReliable(a.session, 'news', 1);
  await a.client.expect(Op.Reliable);
  a.client.send([Op.Ack, 1]);
  await sync(a.client);

  const b = await connected({ session: a.welcome.session, recv: 0 });
  const { bye, close } = await a.client.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.SessionTakenOver, 'session taken over']);
  expect(close.code).toBe(CloseCode.SessionTakenOver);
  expect(b.welcome).toMatchObject({ resumed: false, recv: 0, previousRecv: 0 });
  expect(b.session).not.toBe(a.session);
  expect(a.session.ended).toBe(true);
});

test('a recv equal to the ACK (or between it and what was sent) still resumes', async () => {
  const srv = await start();
  const a = await connected();
  for (let n = 1; n <= 3; n++) srv.sendReliable(a.session, 'news', n);
  for (let n = 1; n <= 3; n++) await a.client.expect(Op.Reliable);
  a.client.send([Op.Ack, 1]);
  await sync(a.client);
  await a.client.close();

  const b = await connected({ session: a.welcome.session, recv: 1 });
  expect(b.welcome).toMatchObject({ session: a.welcome.session, resumed: true });
  expect([(await b.client.expect(Op.Reliable))[1], (await b.client.expect(Op.Reliable))[1]]).toEqual([2, 3]);
});
