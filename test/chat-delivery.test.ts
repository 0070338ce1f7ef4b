import type { ChatMessage } from '../channels';
import { type ChatClient, type ChatPair, startChatPair } from './support/chat-pair';
import { seededRandom } from './support/random';

const ROOM = 7;

/** Each client must see every message of both senders exactly once, in each sender's order. */
function checkDelivery(client: ChatClient, perSender: number): void {
  const ids = client.received.map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length); // no duplicate
  for (let i = 1; i < ids.length; i++) expect(ids[i] as number).toBeGreaterThan(ids[i - 1] as number); // room order
  for (const sender of ['a', 'b']) {
    const seq = client.received.map((m: ChatMessage) => m.body as { from: string; n: number }).filter((b) => b.from === sender).map((b) => b.n);
    expect(seq).toEqual(Array.from({ length: perSender }, (_, n) => n));
  }
}

/** Both clients say `perSender` messages in windows of `window`, cutting connections between windows as told. */
async function exchange(pair: ChatPair, perSender: number, window: number, cutAt: (w: number) => (() => Promise<void>) | undefined): Promise<void> {
  for (let w = 0; w * window < perSender; w++) {
    const says: Promise<unknown>[] = [];
    for (let n = w * window; n < Math.min(perSender, (w + 1) * window); n++) {
      says.push(pair.a.chat.say(ROOM, { from: 'a', n }));
      says.push(pair.b.chat.say(ROOM, { from: 'b', n }));
    }
    // Observed from the start, so a failure below cannot leave a rejection unhandled.
    const settled = Promise.allSettled(says);
    const cut = cutAt(w);
    if (cut) await cut(); // with this window's messages in flight
    const failed = (await settled).filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
  }
  // Everything said was stored; wait until both clients have received all of it.
  const total = perSender * 2;
  for (const client of [pair.a, pair.b]) {
    while (client.received.length < total) {
      await client.chat.channel.waitFor(`room/${ROOM}/message`);
    }
  }
}

describe('chat delivery across cuts (a: wx emulator, b: ws)', () => {
  let pair: ChatPair;
  beforeEach(async () => {
    pair = await startChatPair(ROOM);
  });
  afterEach(async () => {
    await pair.close();
  });

  it('5,000 messages each way, 20 cuts within the resume window (drops, half-open, app hidden, server restarts): every message exactly once, in order', async () => {
    const rand = seededRandom(20261126);
    const windows = 50;
    const cutWindows = new Set<number>();
    while (cutWindows.size < 20) cutWindows.add(Math.floor(rand() * windows));
    const kinds = [
      () => pair.a.drop(),
      () => pair.b.drop(),
      () => Promise.all([pair.a.drop(), pair.b.drop()]).then(() => undefined),
      () => pair.a.silence(),
      () => pair.b.silence(),
      () => pair.a.hideAndShow(),
      () => pair.restart(),
    ];
    let cuts = 0;
    let resyncs = 0;
    for (const client of [pair.a, pair.b]) client.chat.channel.on('resync', () => resyncs++);
    await exchange(pair, 5000, 100, (w) => {
      if (!cutWindows.has(w)) return undefined;
      return kinds[cuts++ % kinds.length];
    });
    expect(cuts).toBe(20);
    expect(resyncs).toBe(0); // every cut, restarts included, resumed its session
    checkDelivery(pair.a, 5000);
    checkDelivery(pair.b, 5000);
    expect(pair.a.chat.channel.stats().reconnects + pair.b.chat.channel.stats().reconnects).toBeGreaterThanOrEqual(20);
  }, 120_000);

  it('a cut longer than the resume window: resync from history, still nothing missing or duplicated', async () => {
    let resyncs = 0;
    pair.a.chat.channel.on('resync', () => resyncs++);
    const longCut = async () => {
      // a is gone past the server's resume window: its session, and its membership, end. The server's clock may only
      // move once the server itself has seen the connection go (the client may notice first, from a failed send).
      const lost = new Promise<void>((resolve) => pair.a.chat.channel.on('reconnecting', () => resolve()));
      const serverSawIt = new Promise<void>((resolve) => pair.server.events.on('disconnect', ({ connection }) => connection.channel === 'chat' && connection.remoteAddress && resolve()));
      pair.emulator.dropConnection();
      await Promise.all([lost, serverSawIt]);
      // Two minutes of server time also leave b silent past its server-side heartbeat deadline: the server sends b
      // BYE 4001 (retryable), and b comes back and resumes its session, which is still within the window.
      const bKicked = new Promise<void>((resolve) => pair.b.chat.channel.on('reconnecting', () => resolve()));
      pair.serverClock.advance(120_001);
      const resynced = new Promise<void>((resolve) => pair.a.chat.on('resynced', () => resolve()));
      await pair.a.recover();
      await bKicked;
      await pair.b.recover();
      await resynced;
    };
    await exchange(pair, 600, 100, (w) => (w === 1 || w === 3 ? longCut : undefined));
    expect(resyncs).toBe(2);
    checkDelivery(pair.a, 600);
    checkDelivery(pair.b, 600);
  }, 30_000);
});
