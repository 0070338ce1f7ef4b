import { RemoteError } from '../../src';
import { type ChatPair, startChatPair } from '../support/chat-pair';

const ROOM = 3;

const bodies = (pair: ChatPair) => pair.a.received.map((m) => m.body);

describe('chat preset edge cases (review regressions)', () => {
  let pair: ChatPair;
  afterEach(async () => {
    await pair.close();
  });

  it('a say made in the resync listener does not make the catch-up skip what was missed', async () => {
    pair = await startChatPair(ROOM);
    await pair.a.chat.say(ROOM, 'before');
    pair.a.chat.channel.on('resync', () => void pair.a.chat.say(ROOM, 'from-resync-listener'));
    await pair.loseSessionOfA(async () => {
      for (let i = 0; i < 3; i++) await pair.b.chat.say(ROOM, `missed-${i}`);
    });
    while (!bodies(pair).includes('from-resync-listener')) await pair.a.chat.channel.waitFor(`room/${ROOM}/message`);
    expect(bodies(pair)).toEqual(['before', 'missed-0', 'missed-1', 'missed-2', 'from-resync-listener']);
  });

  it('reports missed when the history no longer reaches back (history size a multiple of the page size)', async () => {
    pair = await startChatPair(ROOM, 4);
    await pair.a.chat.say(ROOM, 'seen');
    const missed: unknown[] = [];
    pair.a.chat.on('missed', (m) => missed.push(m));
    await pair.loseSessionOfA(async () => {
      for (let i = 0; i < 8; i++) await pair.b.chat.say(ROOM, `b-${i}`);
    });
    expect(missed).toHaveLength(1);
    // What the history still had arrives, in order, once.
    expect(bodies(pair)).toEqual(['seen', 'b-4', 'b-5', 'b-6', 'b-7']);
  });

  it('presence() lists both members of a room, and a member who left is no longer listed', async () => {
    pair = await startChatPair(ROOM);
    const both = await pair.a.chat.presence(ROOM);
    expect(both.room).toBe(ROOM);
    expect(both.count).toBe(2);
    expect(both.members).toHaveLength(2);
    expect(new Set(both.members).size).toBe(2);
    await pair.b.chat.leave(ROOM);
    const one = await pair.a.chat.presence(ROOM);
    expect(one.count).toBe(1);
    expect(both.members).toContain(one.members[0]);
    await expect(pair.b.chat.presence(ROOM)).rejects.toMatchObject({ code: 'not_member' });
  });

  it('a say sent right after join (not awaited) is not refused as not_member', async () => {
    pair = await startChatPair(ROOM);
    const other = 99;
    const joined = pair.b.chat.join(other);
    const said = pair.b.chat.say(other, 'eager');
    await joined;
    await expect(said).resolves.toMatchObject({ room: other });
  });

  it('leave() during an outage that ends in a resync stays left', async () => {
    pair = await startChatPair(ROOM);
    await pair.loseSessionOfA(async () => {
      void pair.a.chat.leave(ROOM).catch(() => undefined);
    });
    await pair.b.chat.say(ROOM, 'after-leave');
    await pair.a.chat.say(ROOM, 'probe').catch(() => undefined); // not a member: refused
    expect(bodies(pair)).not.toContain('after-leave');
    expect(pair.a.chat.rooms.has(ROOM)).toBe(false);
  });

  it('a say whose mid another client used in the room rejects with RemoteError mid_conflict, and is not delivered', async () => {
    pair = await startChatPair(ROOM);
    const { mid } = await pair.b.chat.say(ROOM, 'b-1');
    // The preset numbers its mids `<prefix>-<n>`: a takes b's next one, as a client that numbers its own mids might.
    const next = mid.replace(/\d+$/, (n) => String(Number(n) + 1));
    const taken = pair.a.chat.channel.waitFor('chat/said');
    // Its ACK waits for the server's manual clock: what matters here is the chat/said.
    void pair.a.chat.channel.sendReliable('chat/say', { room: ROOM, mid: next, body: 'a-1' }).catch(() => undefined);
    expect(await taken).toMatchObject({ mid: next, id: expect.any(Number) });
    const refused = pair.b.chat.say(ROOM, 'b-2');
    await expect(refused).rejects.toBeInstanceOf(RemoteError);
    await expect(refused).rejects.toMatchObject({ code: 'mid_conflict' });
    await pair.b.chat.say(ROOM, 'b-3');
    while (!bodies(pair).includes('b-3')) await pair.a.chat.channel.waitFor(`room/${ROOM}/message`);
    expect(bodies(pair)).toEqual(['b-1', 'a-1', 'b-3']);
  });

  it('a say that cannot be sent is rejected at once and does not break a later resync', async () => {
    pair = await startChatPair(ROOM);
    await expect(pair.a.chat.say(ROOM, 'x'.repeat(2 * 1024 * 1024))).rejects.toMatchObject({ code: 'payload_too_large' });
    await pair.loseSessionOfA(() => pair.b.chat.say(ROOM, 'while-away'));
    while (!bodies(pair).includes('while-away')) await pair.a.chat.channel.waitFor(`room/${ROOM}/message`);
    expect(bodies(pair)).toEqual(['while-away']);
  });
});

describe('the chat preset reports every failure by rejecting, never by throwing at the call', () => {
  let pair: ChatPair;
  afterEach(async () => {
    await pair.close();
  });

  it('join, leave, say, history and presence reject once the channel is closed; say rejects an unencodable body', async () => {
    pair = await startChatPair(ROOM);
    const chat = pair.a.chat;
    const calls = (): Promise<unknown>[] => [chat.join(ROOM), chat.leave(ROOM), chat.say(ROOM, 'x'), chat.history(ROOM), chat.presence(ROOM)];
    await expect(chat.say(ROOM, { f: () => 1 })).rejects.toMatchObject({ code: 'unencodable' });
    chat.close();
    let promises: Promise<unknown>[] = [];
    expect(() => (promises = calls())).not.toThrow();
    for (const promise of promises) await expect(promise).rejects.toMatchObject({ code: 'closed' });
  });
});
