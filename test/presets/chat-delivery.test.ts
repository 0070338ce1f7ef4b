import { type ChatPair, chatPairPerTest, checkDelivery } from '../support/chat-pair';
import { seededRandom } from '../support/random';

const ROOM = 7;

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
  const pair = chatPairPerTest(ROOM);

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
    const longCut = () => pair.loseSessionOfA();
    await exchange(pair, 600, 100, (w) => (w === 1 || w === 3 ? longCut : undefined));
    expect(resyncs).toBe(2);
    checkDelivery(pair.a, 600);
    checkDelivery(pair.b, 600);
  }, 30_000);
});
