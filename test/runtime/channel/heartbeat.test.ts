import { FROZEN_SLACK_MS, Heartbeat } from '../../../src/channel/heartbeat';
import { ManualClock } from '../../support/manual-clock';

function setup(intervalMs = 5000, timeoutMs = 4000) {
  const clock = new ManualClock();
  const pings: number[] = [];
  const deaths: number[] = [];
  const hb = new Heartbeat(clock, { intervalMs, timeoutMs }, { ping: (t) => pings.push(t), dead: (ms) => deaths.push(ms) });
  return { clock, pings, deaths, hb };
}

describe('Heartbeat', () => {
  it('pings every intervalMs while answered', () => {
    const { clock, pings, deaths, hb } = setup();
    hb.start();
    const start = clock.now();
    for (let i = 0; i < 4; i++) {
      clock.advance(5000);
      hb.received();
    }
    expect(pings.map((t) => t - start)).toEqual([5000, 10000, 15000, 20000]);
    expect(deaths).toEqual([]);
  });

  it('declares the connection dead timeoutMs after an unanswered PING (a half-open socket)', () => {
    const { clock, pings, deaths, hb } = setup();
    hb.start();
    clock.advance(5000);
    expect(pings).toHaveLength(1);
    clock.advance(3999);
    expect(deaths).toEqual([]);
    clock.advance(1);
    expect(deaths).toEqual([9000]);
    expect(hb.active).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('counts any inbound frame, not only a PONG, as a sign of life', () => {
    const { clock, deaths, hb } = setup();
    hb.start();
    clock.advance(5000);
    clock.advance(2000);
    hb.received(); // a PUSH, say: it answers the outstanding PING as well as a PONG would
    clock.advance(2500); // past the PING's 9,000 ms deadline
    expect(deaths).toEqual([]);
  });

  it('does not misjudge when its timers fire late after the app was frozen: it probes again', () => {
    const { clock, pings, deaths, hb } = setup();
    hb.start();
    clock.advance(5000); // PING sent
    clock.jump(60_000); // frozen in the background; every timer fires at once on return
    expect(deaths).toEqual([]);
    expect(pings).toHaveLength(2); // a fresh probe instead of a verdict
    hb.received();
    clock.advance(4000);
    expect(deaths).toEqual([]);
  });

  it('still finds a dead connection after a freeze, one full timeout after the probe', () => {
    const { clock, deaths, hb } = setup();
    hb.start();
    clock.advance(5000);
    clock.jump(60_000);
    clock.advance(4000);
    expect(deaths).toHaveLength(1);
  });

  it('timers that are always late (throttled) cannot hide a dead connection: one re-probe, then the verdict', () => {
    const { clock, pings, deaths, hb } = setup();
    hb.start();
    // Every timer fires 1.5 s late, forever: a throttled background tab.
    for (let i = 0; i < 10 && deaths.length === 0; i++) {
      const due = clock.nextAt as number;
      clock.jump(due - clock.now() + 1500);
    }
    expect(deaths).toHaveLength(1);
    expect(pings.length).toBeLessThanOrEqual(3);
  });

  it('check() judges the deadline on demand (timers may be throttled) but not across a freeze', () => {
    const { clock, deaths, hb } = setup();
    hb.start();
    clock.advance(5000);
    // Time passes without the timer firing (throttled): a send checks the deadline itself.
    (clock as unknown as { timers: Map<number, unknown> }).timers.clear();
    clock.jump(4000 + FROZEN_SLACK_MS - 1);
    expect(hb.check()).toBe(false);
    expect(deaths).toHaveLength(1);
  });

  it('probe() pings at once and judges by it', () => {
    const { clock, pings, deaths, hb } = setup();
    hb.start();
    clock.advance(1000);
    hb.probe();
    expect(pings).toHaveLength(1);
    clock.advance(4000);
    expect(deaths).toHaveLength(1);
  });

  it('stop() releases its timer', () => {
    const { clock, hb } = setup();
    hb.start();
    expect(clock.pending).toBe(1);
    hb.stop();
    expect(clock.pending).toBe(0);
  });
});
