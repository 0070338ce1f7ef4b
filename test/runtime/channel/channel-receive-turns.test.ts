import { chatChannel } from '../../../channels';
import { Channel } from '../../../src/channel/channel';
import type { Clock } from '../../../src/time/clock';
import { UsageError } from '../../../src/errors';
import { ConnectionManager } from '../../../src/manager';
import { next, reach } from '../../support/channel-helpers';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';

/*
 * receiveTurnMs: a channel that receives a burst handles it a slice per turn, so another channel's message (a game
 * state behind 500 chat messages) is handled in between. Handling a frame "costs" 1 ms of the channel's clock here
 * (the subscriber moves it), so each turn of 2 ms handles exactly 2 frames; the manual clock turns only when told.
 */
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(TRANSPORT_KINDS)('received frames handled a slice per turn over %s', (kind) => {
  let h: Harness;
  let work: { spent: number };
  let clock: Clock;
  const channels: Channel[] = [];
  const open = async (name: string, options: Partial<ConstructorParameters<typeof Channel>[1]> = {}) => {
    const channel = new Channel(name, { url: h.url, transport: h.transport, clock, random: () => 0.5, ...options });
    channels.push(channel);
    channel.connect();
    await reach(channel, 'open');
    return channel;
  };
  /** A channel with a 2 ms turn whose every PUSH `n` costs 1 ms: two per turn. */
  const bulk = async () => {
    const channel = await open('bulk', { receiveTurnMs: 2 });
    const got: number[] = [];
    channel.subscribe<number>('n', (n) => {
      got.push(n);
      work.spent += 1;
    });
    return { channel, got };
  };

  beforeEach(async () => {
    h = await startHarness(kind);
    work = { spent: 0 };
    clock = {
      now: () => h.clock.now() + work.spent,
      setTimeout: (fn, ms) => h.clock.setTimeout(fn, ms),
      clearTimeout: (handle) => h.clock.clearTimeout(handle),
    };
    h.server.on('burst', (count, { connection }) => {
      for (let i = 0; i < (count as number); i++) connection.push('n', i);
    });
    h.server.on('burst-then-restart', (count, { connection }) => {
      for (let i = 0; i < (count as number); i++) connection.push('n', i);
      connection.close(4000, 'restarting');
    });
    h.server.on('poke', (_payload, { connection }) => {
      connection.push('poked', null);
    });
  });
  afterEach(async () => {
    const closing = channels.splice(0).map((c) => {
      const closed = c.state === 'closed' ? Promise.resolve() : reach(c, 'closed');
      c.close();
      return closed;
    });
    h.clock.advance(10_000);
    await Promise.all(closing);
    await h.close();
  });

  it("handles a burst a slice per turn, in order, and another channel's message in between", async () => {
    const { channel, got } = await bulk();
    const other = await open('other');
    const idle = channel.activeTimers;
    const first = channel.waitFor('n');
    channel.send('burst', 50);
    await first;
    // All 50 came in one message: the first turn stopped after 2 ms of work, and the next turn is armed.
    expect(got).toEqual([0, 1]);
    expect(channel.activeTimers).toBe(idle + 1);
    expect(channel.stats().framesReceived).toBeGreaterThanOrEqual(50);
    const poked = other.waitFor('poked');
    other.send('poke');
    await poked;
    expect(got).toEqual([0, 1]); // the other channel's message did not wait for the burst
    h.clock.advance(0); // the turns that follow
    expect(got).toEqual(range(50));
    expect(channel.activeTimers).toBe(idle); // nothing left waiting
  });

  it('frames still waiting when the socket closes are handled before the channel sees the close', async () => {
    const { channel, got } = await bulk();
    const lost = next(channel, 'reconnecting');
    channel.send('burst-then-restart', 50);
    const { reason } = await lost;
    expect(got).toEqual(range(50));
    expect(reason).toBe('bye');
  });

  it('closing with frames waiting leaves no timer armed', async () => {
    const { channel, got } = await bulk();
    const first = channel.waitFor('n');
    channel.send('burst', 50);
    await first;
    expect(got.length).toBeLessThan(50);
    const closed = reach(channel, 'closed');
    channel.close();
    await closed;
    expect(channel.activeTimers).toBe(0);
  });

  it('refuses a receiveTurnMs that is not > 0; the chat preset uses 1 ms unless told otherwise', () => {
    expect(() => new Channel('x', { url: h.url, transport: h.transport, receiveTurnMs: 0 })).toThrow(UsageError);
    const manager = new ConnectionManager({ transport: h.transport, clock: h.clock });
    try {
      expect(chatChannel({ manager, url: h.url }).channel.options.receiveTurnMs).toBe(1);
      expect(chatChannel({ manager, url: h.url, name: 'chat2', receiveTurnMs: Infinity }).channel.options.receiveTurnMs).toBe(Infinity);
    } finally {
      manager.close();
      h.clock.advance(10_000);
    }
  });
});
