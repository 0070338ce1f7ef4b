import { installChat } from '../../server';
import { keptMemoryStore } from '../../server/chat/memory-store';
import { FrameCodec } from '../../src/wire/codec';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { type Connected, serverSuite } from '../support/servers';

// Small chat ids (PROTOCOL.md section 6): a session that joins with `ids: 'small'` gets each room's epoch in a
// RELIABLE `chat/epoch` before any message of the room, then every message with `n` (its id minus the epoch) instead
// of `id`; every other session keeps getting whole ids, and `chat/said`, `chat/join`'s `lastId` and `chat/history`
// stay whole for everyone.

const T0 = 1_700_000_000_000;
const suite = serverSuite();
/** The id below the first chat message of the server (ids start from the clock). */
let B = 0;

interface Member extends Connected {
  sent: number;
  nextRequest: number;
}

async function start(): Promise<void> {
  const srv = await suite.start({ clock: new ManualClock(T0) });
  installChat(srv);
  B = keptMemoryStore(srv.state).lastId;
}

async function member(): Promise<Member> {
  return { sent: 0, nextRequest: 1, ...(await suite.connected({ channel: 'chat' })) };
}

async function call(m: Member, topic: string, payload: unknown): Promise<unknown> {
  const answer = await m.client.call(m.nextRequest++, topic, payload);
  return answer[0] === Op.Reply ? answer[2] : { fail: answer[2] };
}

async function reliables(m: Member, count: number): Promise<[string, unknown][]> {
  const out: [string, unknown][] = [];
  for (let i = 0; i < count; i++) {
    const [, , topic, payload] = await m.client.expect(Op.Reliable);
    out.push([topic, payload]);
  }
  return out;
}

/** A join whose answer may follow RELIABLE frames (the epochs): the answer, and those frames as [topic, payload]. */
async function join(m: Member, payload: unknown): Promise<{ answer: unknown; before: [string, unknown][] }> {
  const id = m.nextRequest++;
  m.client.send([Op.Request, id, 'chat/join', payload]);
  const before: [string, unknown][] = [];
  for (;;) {
    const frame = await m.client.next();
    if (frame[0] === Op.Reply && frame[1] === id) return { answer: frame[2], before };
    if (frame[0] !== Op.Reliable) throw new Error(`unexpected ${JSON.stringify(frame)}`);
    before.push([frame[2] as string, frame[3]]);
  }
}

function say(m: Member, payload: unknown): void {
  m.client.send([Op.Reliable, ++m.sent, 'chat/say', payload]);
}

test("a member that asks for small ids gets the room's epoch, then n; one that does not gets whole ids", async () => {
  await start();
  const alice = await member();
  const bob = await member();
  expect(await join(alice, { room: 'lobby', ids: 'small' })).toEqual({
    answer: { room: 'lobby', lastId: B, epoch: B },
    before: [['chat/epoch', { room: 'lobby', epoch: B }]],
  });
  expect(await call(bob, 'chat/join', { room: 'lobby' })).toEqual({ room: 'lobby', lastId: B });

  say(alice, { room: 'lobby', mid: 'a-1', body: 'hi' });
  say(alice, { room: 'lobby', mid: 'a-2', body: 'again' });
  const line = { ts: T0, from: alice.session.publicId, mid: 'a-1', body: 'hi' };
  expect(await reliables(alice, 4)).toEqual([
    ['room/lobby/message', { n: 1, ...line }],
    ['chat/said', { mid: 'a-1', room: 'lobby', id: B + 1, ts: T0 }],
    ['room/lobby/message', { n: 2, ...line, mid: 'a-2', body: 'again' }],
    ['chat/said', { mid: 'a-2', room: 'lobby', id: B + 2, ts: T0 }],
  ]);
  expect(await reliables(bob, 2)).toEqual([
    ['room/lobby/message', { id: B + 1, ...line }],
    ['room/lobby/message', { id: B + 2, ...line, mid: 'a-2', body: 'again' }],
  ]);
  expect(await call(alice, 'chat/history', { room: 'lobby' })).toMatchObject({ messages: [{ id: B + 1 }, { id: B + 2 }] });

  // What it buys: the id as msgpack is 9 bytes (a 16-digit number), n is 1.
  const codec = new FrameCodec();
  const whole = codec.encode([Op.Reliable, 3, 'room/lobby/message', { id: B + 2, ...line }]).byteLength;
  const small = codec.encode([Op.Reliable, 3, 'room/lobby/message', { n: 2, ...line }]).byteLength;
  expect(whole - small).toBe(9);
});

test('a member that asks for small ids after joining gets the epoch of the rooms it is in before their next message', async () => {
  await start();
  const alice = await member();
  const bob = await member();
  await call(alice, 'chat/join', { room: 'a' });
  await call(bob, 'chat/join', { room: 'a' });
  say(bob, { room: 'a', mid: 'b-1', body: 'one' });
  expect(await reliables(alice, 1)).toEqual([['room/a/message', expect.objectContaining({ id: B + 1 })]]);

  expect(await join(alice, { room: 'b', ids: 'small' })).toEqual({
    answer: { room: 'b', lastId: B + 1, epoch: B + 1 },
    before: [
      ['chat/epoch', { room: 'a', epoch: B }],
      ['chat/epoch', { room: 'b', epoch: B + 1 }],
    ],
  });
  say(bob, { room: 'a', mid: 'b-2', body: 'two' });
  expect(await reliables(alice, 1)).toEqual([['room/a/message', expect.objectContaining({ n: 2, mid: 'b-2' })]]);
});
