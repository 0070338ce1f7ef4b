import { keptMemoryStore } from '../../server/chat/memory-store';
import {
  type Chat,
  type InstallChatOptions,
  installChat,
  type ReferenceServer,
  type ServerOptions,
} from '../../server';
import { type Hello, Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import { type Connected, serverSuite } from '../support/servers';

const T0 = 1_700_000_000_000;
let clock: ManualClock;
/** The id below the first chat message of the server started last: ids start from the clock (chatIdBase). */
let B = 0;
const suite = serverSuite();

async function start(chatOptions: Partial<InstallChatOptions> = {}, options: Partial<ServerOptions> = {}): Promise<{ srv: ReferenceServer; chat: Chat }> {
  clock = new ManualClock(T0);
  const srv = await suite.start({ clock, ...options });
  const chat = installChat(srv, chatOptions);
  B = keptMemoryStore(srv.state).lastId;
  return { srv, chat };
}

/**
 * A chat client: a raw protocol peer that numbers the RELIABLE frames it sends, as the runtime does, and never
 * acknowledges unless told (so the server keeps what it sent for a resume).
 */
interface Member extends Connected {
  /** The seq of the last RELIABLE this client sent. */
  sent: number;
  nextRequest: number;
}

async function member(hello: Partial<Hello> = {}, sent = 0): Promise<Member> {
  return { sent, nextRequest: 1, ...(await suite.connected({ channel: 'chat', ...hello })) };
}

async function call(m: Member, topic: string, payload: unknown): Promise<unknown> {
  const id = m.nextRequest++;
  const answer = await m.client.call(id, topic, payload);
  return answer[0] === Op.Reply ? answer[2] : { fail: answer[2] };
}

/** A server started and two members, alice and bob, both joined to room `r`. */
async function startWithTwoInRoomR(): Promise<{ alice: Member; bob: Member }> {
  await start();
  const alice = await member();
  const bob = await member();
  await call(alice, 'chat/join', { room: 'r' });
  await call(bob, 'chat/join', { room: 'r' });
  return { alice, bob };
}

function say(m: Member, payload: unknown): void {
  m.client.send([Op.Reliable, ++m.sent, 'chat/say', payload]);
}

/** The next `count` RELIABLE frames as [topic, payload] (their seqs are checked to follow on from `after`). */
async function reliables(m: Member, count: number, after?: number): Promise<[string, unknown][]> {
  const out: [string, unknown][] = [];
  for (let i = 0; i < count; i++) {
    const [, seq, topic, payload] = await m.client.expect(Op.Reliable);
    if (after !== undefined) expect(seq).toBe(after + i + 1);
    out.push([topic, payload]);
  }
  return out;
}

async function disconnect(m: Member): Promise<void> {
  const gone = nextEvent(suite.server.events, 'disconnect');
  await m.client.close();
  await gone;
}

test('join, say: every member gets room/<room>/message, then the sender gets chat/said; history has it', async () => {
  const { chat } = await start();
  const alice = await member();
  const bob = await member();
  expect(await call(alice, 'chat/join', { room: 'lobby' })).toEqual({ room: 'lobby', lastId: B });
  expect(await call(bob, 'chat/join', { room: 'lobby' })).toEqual({ room: 'lobby', lastId: B });
  expect(chat.rooms).toBe(1);

  clock.advance(5);
  say(alice, { room: 'lobby', mid: 'a-1', body: { text: '你好 👋' } });

  const message = { id: B + 1, ts: T0 + 5, from: alice.session.publicId, body: { text: '你好 👋' }, mid: 'a-1' };
  expect(await reliables(alice, 2, 0)).toEqual([
    ['room/lobby/message', message],
    ['chat/said', { mid: 'a-1', room: 'lobby', id: B + 1, ts: T0 + 5 }],
  ]);
  expect(await reliables(bob, 1, 0)).toEqual([['room/lobby/message', message]]);
  expect(await call(bob, 'chat/history', { room: 'lobby' })).toEqual({ messages: [message], evictedUpTo: B });
  expect(await call(bob, 'chat/join', { room: 'lobby' })).toEqual({ room: 'lobby', lastId: B + 1 });
  expect(message.from).not.toBe(alice.welcome.session);
});

test('a repeated mid and body gets its first chat/said again and is not broadcast again, in the same session or a new one', async () => {
  const { alice, bob } = await startWithTwoInRoomR();
  say(alice, { room: 'r', mid: 'm1', body: 'first' });
  const said = { mid: 'm1', room: 'r', id: B + 1, ts: T0 };
  expect((await reliables(alice, 2))[1]).toEqual(['chat/said', said]);

  clock.advance(1_000);
  expect(await alice.client.next()).toEqual([Op.Ack, 1]);
  say(alice, { room: 'r', mid: 'm1', body: 'first' });
  expect(await reliables(alice, 1)).toEqual([['chat/said', said]]);

  // The same client after a resumed:false (a new session, a new public id) sends it once more, before and after its
  // re-join.
  const again = await member();
  say(again, { room: 'r', mid: 'm1', body: 'first' });
  expect(await reliables(again, 1, 0)).toEqual([['chat/said', said]]);
  await call(again, 'chat/join', { room: 'r' });
  say(again, { room: 'r', mid: 'm1', body: 'first' });
  expect(await reliables(again, 1, 1)).toEqual([['chat/said', said]]);

  say(alice, { room: 'r', mid: 'm2', body: 'second' });
  // Bob's next messages are 1 and then 2: nothing was broadcast for the repeats.
  expect((await reliables(bob, 2, 0)).map(([, payload]) => (payload as { body: unknown }).body)).toEqual(['first', 'second']);
  expect(await call(bob, 'chat/history', { room: 'r' })).toMatchObject({ messages: [{ id: B + 1, mid: 'm1' }, { id: B + 2, mid: 'm2' }] });
});

test("a say with a mid the room remembers from another body is refused mid_conflict, stored nowhere; the first line stays", async () => {
  const { alice, bob } = await startWithTwoInRoomR();
  // Two clients numbering their mids from 1, as PROTOCOL.md once allowed ("unique per sender").
  say(alice, { room: 'r', mid: '1', body: 'from alice' });
  const first = { id: B + 1, ts: T0, from: alice.session.publicId, body: 'from alice', mid: '1' };
  expect(await reliables(alice, 2, 0)).toEqual([['room/r/message', first], ['chat/said', { mid: '1', room: 'r', id: B + 1, ts: T0 }]]);
  expect(await reliables(bob, 1, 0)).toEqual([['room/r/message', first]]);

  say(bob, { room: 'r', mid: '1', body: 'from bob' });
  expect(await reliables(bob, 1, 1)).toEqual([['chat/said', { mid: '1', room: 'r', error: expect.objectContaining({ code: 'mid_conflict' }) }]]);
  // Not a member yet: refused the same way, not answered with alice's chat/said.
  const carol = await member();
  say(carol, { room: 'r', mid: '1', body: 'from carol' });
  expect(await reliables(carol, 1, 0)).toEqual([['chat/said', { mid: '1', room: 'r', error: expect.objectContaining({ code: 'mid_conflict' }) }]]);

  // Nothing was broadcast for the clashes: the next message anyone gets is alice's next one, and the history has her
  // line as she said it and nothing else.
  say(alice, { room: 'r', mid: '2', body: 'marker' });
  expect(await reliables(bob, 1, 2)).toEqual([['room/r/message', expect.objectContaining({ id: B + 2, body: 'marker' })]]);
  expect(await reliables(alice, 2, 2)).toEqual([
    ['room/r/message', expect.objectContaining({ id: B + 2, body: 'marker' })],
    ['chat/said', { mid: '2', room: 'r', id: B + 2, ts: T0 }],
  ]);
  expect(await call(bob, 'chat/history', { room: 'r' })).toEqual({ messages: [first, expect.objectContaining({ id: B + 2, mid: '2' })], evictedUpTo: B });
  // Bob says it again with a mid of its own: stored.
  say(bob, { room: 'r', mid: 'b-1', body: 'from bob' });
  expect(await reliables(bob, 1, 3)).toEqual([['room/r/message', expect.objectContaining({ id: B + 3, body: 'from bob', mid: 'b-1' })]]);
});

test('a refused chat/say gets chat/said with an error and stores and broadcasts nothing', async () => {
  await start({ maxBodyBytes: 16 });
  const alice = await member();
  const bob = await member();
  await call(bob, 'chat/join', { room: 'r' });
  await call(alice, 'chat/join', { room: 'other' });

  say(alice, { room: 'r', mid: 'x1', body: 'not a member' });
  say(alice, { room: 'r', mid: 42, body: 'bad mid' });
  say(alice, { room: 'a/b', mid: 'x2', body: 'bad room' });
  say(alice, { room: 'r', mid: 'x3' });
  say(alice, 'not a map');
  const error = (code: string) => ({ code, message: expect.any(String) });
  expect(await reliables(alice, 5, 0)).toEqual([
    ['chat/said', { mid: 'x1', room: 'r', error: error('not_member') }],
    ['chat/said', { mid: null, room: 'r', error: error('bad_request') }],
    ['chat/said', { mid: 'x2', room: 'a/b', error: error('bad_request') }],
    ['chat/said', { mid: 'x3', room: 'r', error: error('bad_request') }],
    ['chat/said', { mid: null, room: null, error: error('bad_request') }],
  ]);

  await call(alice, 'chat/join', { room: 'r' });
  say(alice, { room: 'r', mid: 'x4', body: 'x'.repeat(16) });
  say(alice, { room: 'r', mid: 'x1', body: 'now a member' });
  expect(await reliables(alice, 3, 5)).toEqual([
    ['chat/said', { mid: 'x4', room: 'r', error: error('too_large') }],
    ['room/r/message', { id: B + 1, ts: T0, from: alice.session.publicId, body: 'now a member', mid: 'x1' }],
    ['chat/said', { mid: 'x1', room: 'r', id: B + 1, ts: T0 }],
  ]);
  expect(await reliables(bob, 1, 0)).toEqual([['room/r/message', expect.objectContaining({ id: B + 1, mid: 'x1' })]]);
});

test('history: oldest first, ids below before, limit defaulted and capped; only the last historySize are kept', async () => {
  await start({ historySize: 5, historyLimit: 2, maxHistoryLimit: 3 });
  const alice = await member();
  const outsider = await member();
  await call(alice, 'chat/join', { room: 9 });
  for (let n = 1; n <= 7; n++) say(alice, { room: 9, mid: `m${n}`, body: n });
  await reliables(alice, 14, 0);

  const ids = async (payload: unknown): Promise<unknown> => {
    const answer = (await call(alice, 'chat/history', payload)) as { messages?: { id: number }[] };
    return answer.messages ? answer.messages.map((m) => m.id) : answer;
  };
  expect(await ids({ room: 9 })).toEqual([B + 6, B + 7]);
  expect(await ids({ room: '9', before: B + 6 })).toEqual([B + 4, B + 5]);
  expect(await ids({ room: 9, before: B + 5, limit: 10 })).toEqual([B + 3, B + 4]);
  expect(await ids({ room: 9, limit: 10 })).toEqual([B + 5, B + 6, B + 7]);
  expect(await ids({ room: 9, before: B + 3 })).toEqual([]);
  // Seven messages in a history of five: ids 1 and 2 are gone, and the reply says so.
  expect(await call(alice, 'chat/history', { room: 9, before: B + 3 })).toEqual({ messages: [], evictedUpTo: B + 2 });
  expect(await ids({ room: 9, limit: 0 })).toEqual({ fail: 'bad_request' });
  expect(await ids({ room: 9, before: -1 })).toEqual({ fail: 'bad_request' });
  expect(await ids({ room: '' })).toEqual({ fail: 'bad_request' });
  expect(await call(outsider, 'chat/history', { room: 9 })).toEqual({ fail: 'not_member' });
});

test('a message to a detached member arrives when it resumes; membership survives the resume', async () => {
  const { alice, bob } = await startWithTwoInRoomR();
  await disconnect(bob);

  say(alice, { room: 'r', mid: 'while-away', body: 1 });
  await reliables(alice, 2);
  const back = await member({ session: bob.welcome.session, recv: 0 });
  expect(back.welcome).toMatchObject({ resumed: true });
  expect(await reliables(back, 1, 0)).toEqual([['room/r/message', expect.objectContaining({ mid: 'while-away' })]]);

  say(alice, { room: 'r', mid: 'after', body: 2 });
  expect(await reliables(back, 1, 1)).toEqual([['room/r/message', expect.objectContaining({ mid: 'after' })]]);
});

test('leave stops delivery; 7 and "7" are one room; the last member leaving, or its session ending, frees the room', async () => {
  const { srv, chat } = await start({}, { resumeWindowMs: 1_000 });
  const alice = await member();
  const bob = await member();
  await call(alice, 'chat/join', { room: 'r' });
  await call(bob, 'chat/join', { room: 'r' });
  expect(await call(alice, 'chat/join', { room: 7 })).toEqual({ room: 7, lastId: B });
  expect(await call(bob, 'chat/join', { room: '7' })).toEqual({ room: '7', lastId: B });
  expect(chat.rooms).toBe(2);

  expect(await call(bob, 'chat/leave', { room: 'r' })).toEqual({ room: 'r' });
  say(alice, { room: 'r', mid: 'm1', body: 'bob left' });
  say(alice, { room: '7', mid: 'm2', body: 'in seven' });
  expect(await reliables(bob, 1, 0)).toEqual([['room/7/message', expect.objectContaining({ mid: 'm2' })]]);
  await reliables(alice, 4);

  expect(await call(alice, 'chat/leave', { room: 'r' })).toEqual({ room: 'r' });
  expect(await call(alice, 'chat/leave', { room: 'r' })).toEqual({ room: 'r' });
  expect(chat.rooms).toBe(1);

  await disconnect(bob);
  await disconnect(alice);
  clock.advance(999);
  expect(chat.rooms).toBe(1);
  clock.advance(1);
  expect(chat.rooms).toBe(0);
  expect(srv.sessions.size).toBe(0);
});

test('a session may be in maxRoomsPerSession rooms; bad rooms are refused; close() uninstalls the chat', async () => {
  const { chat } = await start({ maxRoomsPerSession: 2 });
  const alice = await member();
  await call(alice, 'chat/join', { room: 'a' });
  await call(alice, 'chat/join', { room: 'b' });
  expect(await call(alice, 'chat/join', { room: 'b' })).toEqual({ room: 'b', lastId: B });
  expect(await call(alice, 'chat/join', { room: 'c' })).toEqual({ fail: 'too_many_rooms' });
  for (const room of ['', 'x'.repeat(65), 'a+b', '#', -1, 1.5, null]) {
    expect(await call(alice, 'chat/join', { room })).toEqual({ fail: 'bad_request' });
  }
  expect(await call(alice, 'chat/join', null)).toEqual({ fail: 'bad_request' });

  chat.close();
  expect(chat.rooms).toBe(0);
  expect(await call(alice, 'chat/join', { room: 'a' })).toEqual({ fail: 'not_found' });
  expect(() => installChat(suite.server, { historySize: -1 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
});
