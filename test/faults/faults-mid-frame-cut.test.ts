import { closeProxied, openThroughProxy } from '../support/proxied';
import { Channel } from '../../src/channel/channel';
import { next } from '../support/channel-helpers';
import type { FaultProxy } from '../support/fault-proxy';
import { type Harness, TRANSPORT_KINDS } from '../support/harness';

/*
 * The connection dies in the middle of a batch: the proxy forwards part of one WebSocket message (200 RELIABLE frames
 * sent in one turn, so one message) and drops the connection. The receiver must act on none of it (a message stands or
 * falls whole, PROTOCOL.md section 1), report no protocol error, and after the resume get every frame once, in order.
 */
const COUNT = 200;
const PAD = 'x'.repeat(100);

interface Item {
  n: number;
  pad: string;
}

describe.each(TRANSPORT_KINDS)('a cut in the middle of a batch over %s', (kind) => {
  let h: Harness;
  let proxy: FaultProxy;
  let channel: Channel;
  const up: Item[] = [];
  const down: Item[] = [];
  let serverProtocolErrors = 0;

  beforeEach(async () => {
    up.length = 0;
    down.length = 0;
    serverProtocolErrors = 0;
    ({ h, proxy, channel } = await openThroughProxy(kind, {}, (parts) => {
      parts.h.server.on('up', (item) => void up.push(item as Item));
      parts.h.server.events.on('protocolError', () => void serverProtocolErrors++);
      parts.channel.subscribe('down', (item) => void down.push(item as Item));
    }));
  });
  afterEach(() => closeProxied({ h, proxy, channel }));

  const items = () => Array.from({ length: COUNT }, (_, i) => ({ n: i + 1, pad: PAD }));

  /** Resumes after the cut and returns whether the session was resumed. */
  const resume = async ({ delayMs }: { delayMs: number }) => {
    const reopened = next(channel, 'open');
    h.clock.advance(delayMs);
    return (await reopened).resumed;
  };

  it('client to server: the server acts on none of the cut message; every frame is retransmitted and applied once, in order', async () => {
    const serverSawIt = new Promise<void>((resolve) => h.server.events.on('disconnect', () => resolve()));
    const lost = next(channel, 'reconnecting');
    const cut = proxy.cutMidFrame('toServer', 1000);
    const acked = items().map((item) => channel.sendReliable('up', item));
    const settled = Promise.allSettled(acked); // observed at once: a failure below leaves no rejection unhandled
    const done = await cut;
    expect(done?.forwarded).toBeGreaterThan(0);
    expect(done?.discarded).toBeGreaterThan(0);
    await serverSawIt;
    expect(up).toEqual([]);
    expect(serverProtocolErrors).toBe(0);
    expect(await resume(await lost)).toBe(true);
    expect((await settled).filter((r) => r.status === 'rejected')).toEqual([]);
    expect(up).toEqual(items());
    expect(serverProtocolErrors).toBe(0);
  });

  it('server to client: the client delivers none of the cut message; the server retransmits and each arrives once, in order', async () => {
    const session = h.server.sessions.get(channel.session as string);
    const lost = next(channel, 'reconnecting');
    const cut = proxy.cutMidFrame('toClient', 1000);
    for (const item of items()) session?.sendReliable('down', item);
    const done = await cut;
    expect(done?.forwarded).toBeGreaterThan(0);
    const r = await lost;
    expect(down).toEqual([]);
    expect(channel.stats().protocolErrors).toBe(0);
    expect(await resume(r)).toBe(true);
    while (down.length < COUNT) await channel.waitFor('down');
    expect(down).toEqual(items());
    expect(channel.stats().protocolErrors).toBe(0);
  });
});
