import { type InstallChatOptions, installChat } from '../../server';
import { UsageError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import { type Connected, serverSuite } from '../support/servers';

/*
 * `chat/presence` on the in-memory chat (one process): the public ids of a room's member sessions. The same request
 * over a shared store is test/redis/redis-presence.test.ts.
 */

const RESUME_WINDOW_MS = 1_000;
let clock: ManualClock;
const suite = serverSuite();

async function start(chatOptions: Partial<InstallChatOptions> = {}): Promise<void> {
  clock = new ManualClock();
  installChat(await suite.start({ clock, resumeWindowMs: RESUME_WINDOW_MS }), chatOptions);
}

interface Member extends Connected {
  nextRequest: number;
}

async function member(): Promise<Member> {
  return { nextRequest: 1, ...(await suite.connected({ channel: 'chat' })) };
}

/** The REPLY's payload, or `{fail: code}`. */
async function call(m: Member, topic: string, payload: unknown): Promise<unknown> {
  const answer = await m.client.call(m.nextRequest++, topic, payload);
  return answer[0] === Op.Reply ? answer[2] : { fail: answer[2] };
}

const ids = (...members: Member[]): string[] => members.map((m) => m.session.publicId).sort();

test('lists the public ids of the room members, ascending, each once, with the count; every member gets the same answer', async () => {
  await start();
  const [a, b, c, other] = [await member(), await member(), await member(), await member()];
  // Joined in an order that is not the sorted one, under both spellings of the room.
  await call(c, 'chat/join', { room: 42 });
  await call(a, 'chat/join', { room: '42' });
  await call(b, 'chat/join', { room: 42 });
  await call(b, 'chat/join', { room: 42 });
  await call(other, 'chat/join', { room: 'elsewhere' });
  const expected = { room: 42, members: ids(a, b, c), count: 3 };
  // The room holds them in join order; the answer is sorted.
  expect([c, a, b].map((m) => m.session.publicId)).not.toEqual(expected.members);
  for (const m of [a, b, c]) expect(await call(m, 'chat/presence', { room: 42 })).toEqual(expected);
  expect(await call(a, 'chat/presence', { room: '42' })).toEqual({ ...expected, room: '42' });
  expect(await call(other, 'chat/presence', { room: 'elsewhere' })).toEqual({ room: 'elsewhere', members: [other.session.publicId], count: 1 });
});

test('a leave takes the member out at once; one whose client is away stays listed until its session ends', async () => {
  await start();
  const [a, b, c] = [await member(), await member(), await member()];
  for (const m of [a, b, c]) await call(m, 'chat/join', { room: 'lobby' });
  expect(await call(b, 'chat/leave', { room: 'lobby' })).toEqual({ room: 'lobby' });
  expect(await call(a, 'chat/presence', { room: 'lobby' })).toEqual({ room: 'lobby', members: ids(a, c), count: 2 });
  expect(await call(b, 'chat/presence', { room: 'lobby' })).toEqual({ fail: 'not_member' });

  // c's client goes away: its session waits for a resume, still a member.
  const ended = nextEvent(suite.server.events, 'sessionEnd');
  await c.client.close();
  expect(await call(a, 'chat/presence', { room: 'lobby' })).toEqual({ room: 'lobby', members: ids(a, c), count: 2 });
  clock.advance(RESUME_WINDOW_MS);
  expect((await ended).session).toBe(c.session);
  expect(await call(a, 'chat/presence', { room: 'lobby' })).toEqual({ room: 'lobby', members: ids(a), count: 1 });
});

test('maxPresence bounds the list, not the count', async () => {
  await start({ maxPresence: 2 });
  const members = [await member(), await member(), await member()];
  for (const m of members) await call(m, 'chat/join', { room: 'r' });
  expect(await call(members[0] as Member, 'chat/presence', { room: 'r' })).toEqual({ room: 'r', members: ids(...members).slice(0, 2), count: 3 });
});

test('only a member may ask; a bad payload is a bad_request', async () => {
  await start();
  const [a, outsider] = [await member(), await member()];
  await call(a, 'chat/join', { room: 'r' });
  expect(await call(outsider, 'chat/presence', { room: 'r' })).toEqual({ fail: 'not_member' });
  expect(await call(outsider, 'chat/presence', { room: 'nobody-here' })).toEqual({ fail: 'not_member' });
  for (const payload of [{ room: '' }, { room: 'a/b' }, { room: -1 }, {}, 'r', null, ['r']]) {
    expect(await call(a, 'chat/presence', payload)).toEqual({ fail: 'bad_request' });
  }
  // Refusals change nothing.
  expect(await call(a, 'chat/presence', { room: 'r' })).toEqual({ room: 'r', members: [a.session.publicId], count: 1 });
});

test('maxPresence and presenceTtlMs are checked', async () => {
  await start();
  const bad: [keyof InstallChatOptions, number][] = [['maxPresence', -1], ['maxPresence', 1.5], ['presenceTtlMs', 29], ['presenceTtlMs', Infinity]];
  for (const [name, value] of bad) {
    const install = () => installChat(suite.server, { [name]: value });
    expect(install).toThrow(UsageError);
    expect(install).toThrow(`chat option ${name} is invalid: ${value}`);
  }
});
