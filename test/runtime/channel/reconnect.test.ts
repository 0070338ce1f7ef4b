import { Emitter } from '../../../src/emitter';
import { ListenerError } from '../../../src/errors';
import { Reconnect } from '../../../src/channel/reconnect';
import type { ReconnectInfo } from '../../../src/channel/options';
import type { ChannelEvents } from '../../../src/channel/types';
import { ManualClock } from '../../support/manual-clock';

// The reconnect policy on its own: the attempt count, its reset after a stable connection, and its timers.
describe('Reconnect', () => {
  const reconnect = { baseMs: 1_000, factor: 2, maxMs: 8_000, maxAttempts: 3, minStableMs: 5_000 };
  let clock: ManualClock;
  let events: Emitter<ChannelEvents>;
  let retries: number;
  let resumed: string[];
  const make = (shouldReconnect?: (info: ReconnectInfo) => boolean) =>
    new Reconnect(clock, { reconnect, random: () => 0.5, shouldReconnect }, events, () => retries++, (reason) => resumed.push(reason));

  beforeEach(() => {
    clock = new ManualClock();
    events = new Emitter<ChannelEvents>();
    retries = 0;
    resumed = [];
  });

  it('counts attempts with growing backoff up to maxAttempts, then gives up', () => {
    const r = make();
    const lost = { reason: 'socket_closed', code: 1006, error: undefined };
    expect([r.next(lost), r.next(lost), r.next(lost), r.next(lost)]).toEqual([
      { attempt: 1, delayMs: 500 },
      { attempt: 2, delayMs: 1_000 },
      { attempt: 3, delayMs: 2_000 },
      undefined,
    ]);
    expect(r.attempts).toBe(3);
  });

  it('starts the count over once a connection has stayed up minStableMs, and tells a reconnect from a first open', () => {
    const r = make();
    r.next({ reason: 'socket_closed' });
    expect(r.opened()).toBe(false);
    clock.advance(4_999);
    expect(r.attempts).toBe(1);
    clock.advance(1);
    expect([r.attempts, r.activeTimers]).toEqual([0, 0]);
    expect(r.opened()).toBe(true);
    // Lost before it was stable: the count stands.
    r.next({ reason: 'socket_closed' });
    r.unstable();
    clock.advance(10_000);
    expect(r.attempts).toBe(1);
  });

  it('asks shouldReconnect with the attempt about to be made; a throwing one is reported and gives up', () => {
    const asked: ReconnectInfo[] = [];
    const errors: unknown[] = [];
    events.on('error', (error) => errors.push(error));
    const r = make((info) => {
      asked.push(info);
      if (info.attempt > 0) throw new Error('app bug');
      return true;
    });
    expect(r.next({ reason: 'bye', code: 4000 })).toEqual({ attempt: 1, delayMs: 500 });
    expect(r.next({ reason: 'bye', code: 4000 })).toBeUndefined();
    expect(asked).toEqual([
      { attempt: 0, reason: 'bye', code: 4000 },
      { attempt: 1, reason: 'bye', code: 4000 },
    ]);
    expect(errors).toEqual([expect.any(ListenerError)]);
  });

  it('fires the backoff and the resume timers, and stop() cancels every one', () => {
    const r = make();
    r.schedule(100);
    r.resumeAfter('shown', 50);
    clock.advance(100);
    expect([retries, resumed]).toEqual([1, ['shown']]);
    r.schedule(100);
    r.resumeAfter('online', 50);
    r.opened();
    expect(r.activeTimers).toBe(3);
    r.stop();
    clock.advance(10_000);
    expect([retries, resumed, r.activeTimers]).toEqual([1, ['shown'], 0]);
  });
});
