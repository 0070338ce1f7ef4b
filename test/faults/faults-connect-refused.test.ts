import { backoffDelay } from '../../src/time/backoff';
import { Channel } from '../../src/channel/channel';
import { next, reach } from '../support/channel-helpers';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { seededRandom } from '../support/random';

/*
 * Every connect is refused (reset at once) for 30 s of simulated time: the proxy's refusal window and the runtime's
 * backoff run on the same manual clock. Each delay must be exactly the full-jitter backoff for its attempt (so within
 * [0, min(maxMs, baseMs * factor^attempt))), the attempt numbers must count up one by one with one socket per attempt,
 * and the first attempt made after the window ends must open and resume.
 */
const RECONNECT = { baseMs: 500, factor: 2, maxMs: 8000, minStableMs: 5000 };
const REFUSE_MS = 30_000;

describe.each(TRANSPORT_KINDS)('connects refused for 30 s over %s', (kind) => {
  let h: Harness;
  let proxy: FaultProxy;
  let channel: Channel;

  beforeEach(async () => {
    h = await startHarness(kind);
    proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port, clock: h.clock });
  });
  afterEach(async () => {
    channel.close();
    await proxy.close();
    await h.close();
  });

  it('backs off within its bounds, counts its attempts, and the attempt after the refusal ends succeeds', async () => {
    channel = new Channel('chat', { url: proxy.url(h.url), transport: h.transport, clock: h.clock, random: seededRandom(3), reconnect: RECONNECT });
    channel.connect();
    await reach(channel, 'open');
    const session = channel.session;
    const socketsBefore = h.sockets;
    const refusedAt = h.clock.now();
    proxy.refuse(REFUSE_MS);
    let lost = next(channel, 'reconnecting');
    proxy.reset();

    const replay = seededRandom(3);
    const attempts: { attempt: number; delayMs: number; at: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await lost;
      attempts.push({ attempt: r.attempt, delayMs: r.delayMs, at: h.clock.now() });
      expect(r.delayMs).toBe(backoffDelay(r.attempt - 1, RECONNECT, replay));
      expect(r.delayMs).toBeGreaterThanOrEqual(0);
      expect(r.delayMs).toBeLessThan(Math.min(RECONNECT.maxMs, RECONNECT.baseMs * RECONNECT.factor ** (r.attempt - 1)));
      lost = next(channel, 'reconnecting');
      const opened = next(channel, 'open');
      h.clock.advance(r.delayMs); // the attempt starts now
      const startedAt = h.clock.now();
      const outcome = await Promise.race([lost.then(() => 'refused'), opened.then(() => 'opened')]);
      // Refused exactly while the window is open; the first attempt after it succeeds.
      expect(outcome).toBe(startedAt - refusedAt < REFUSE_MS ? 'refused' : 'opened');
      if (outcome === 'opened') break;
    }
    expect(channel.state).toBe('open');
    expect(channel.session).toBe(session);
    const n = attempts.length;
    expect(n).toBeGreaterThan(3); // the window really spanned several attempts
    expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // The last attempt started past the window, the one before it within.
    const last = attempts[n - 1] as (typeof attempts)[number];
    expect(last.at + last.delayMs - refusedAt).toBeGreaterThanOrEqual(REFUSE_MS);
    expect(last.at - refusedAt).toBeLessThan(REFUSE_MS);
    // One socket per attempt, no more: the refusals took n - 1 of them, the success one.
    expect(proxy.stats().refused).toBe(n - 1);
    expect(h.sockets - socketsBefore).toBe(n);
    expect(channel.stats().attempt).toBe(n); // reset only after minStableMs open
    h.clock.advance(RECONNECT.minStableMs);
    expect(channel.stats().attempt).toBe(0);
  });
});
