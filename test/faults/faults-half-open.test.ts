import { closeProxied, openThroughProxy } from '../support/proxied';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/time/backoff';
import { Channel } from '../../src/channel/channel';
import { next } from '../support/channel-helpers';
import type { FaultProxy } from '../support/fault-proxy';
import { type Harness, TRANSPORT_KINDS } from '../support/harness';

/*
 * A half-open link made at the TCP level: the proxy between client and server stops forwarding both ways and closes
 * nothing, so neither socket can tell (channel-reconnect.test.ts does the same at the client's edge). Only the
 * heartbeat finds it, within intervalMs + timeoutMs; then the client reconnects and resumes its session, which the
 * server still holds attached to the dead connection.
 */
const HEARTBEAT = { intervalMs: 5000, timeoutMs: 4000 };

describe.each(TRANSPORT_KINDS)('a link that goes half-open (TCP black hole) over %s', (kind) => {
  let h: Harness;
  let proxy: FaultProxy;
  let channel: Channel;
  const up: number[] = [];
  const down: number[] = [];

  beforeEach(async () => {
    up.length = 0;
    down.length = 0;
    ({ h, proxy, channel } = await openThroughProxy(kind, { heartbeat: HEARTBEAT }, (parts) => {
      parts.h.server.on('up', (n) => void up.push(n as number));
      parts.channel.subscribe('down', (n) => void down.push(n as number));
    }));
  });
  afterEach(() => closeProxied({ h, proxy, channel }));

  it('is found within intervalMs + timeoutMs; the client resumes, and what went into the hole both ways arrives once, in order', async () => {
    const session = channel.session as string;
    const serverSession = h.server.sessions.get(session);
    proxy.blackhole();
    // Both ways into the hole: 30 RELIABLE messages from the client, 30 from the server.
    const swallowed = new Promise<void>((resolve) => proxy.on('discarded', ({ total }) => total > 200 && resolve()));
    const acked = Array.from({ length: 30 }, (_, i) => channel.sendReliable('up', i + 1));
    const settled = Promise.allSettled(acked); // observed at once: a failure below leaves no rejection unhandled
    for (let i = 1; i <= 30; i++) serverSession?.sendReliable('down', i);
    await swallowed;
    expect([up, down]).toEqual([[], []]);

    h.clock.advance(HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs - 1);
    expect(channel.state).toBe('open'); // a PING went out at intervalMs, its deadline is not yet past
    const lost = next(channel, 'reconnecting');
    h.clock.advance(1);
    const delayMs = backoffDelay(0, DEFAULT_BACKOFF, () => 0.5);
    expect(await lost).toEqual({ attempt: 1, delayMs, reason: 'heartbeat_timeout', error: expect.objectContaining({ code: 'timeout', name: 'TimeoutError' }) });

    proxy.pass();
    const reopened = next(channel, 'open');
    h.clock.advance(delayMs);
    const { resumed } = await reopened;
    expect(resumed).toBe(true);
    expect(channel.session).toBe(session);
    expect((await settled).filter((r) => r.status === 'rejected')).toEqual([]);
    const all = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(up).toEqual(all);
    while (down.length < 30) await channel.waitFor('down');
    expect(down).toEqual(all);
    expect(channel.stats()).toMatchObject({ reconnects: 1, unacked: 0, protocolErrors: 0 });
  });

  it('a connect into the black hole hangs until connectTimeoutMs, then the next attempt, through a clean link, resumes', async () => {
    const session = channel.session;
    proxy.blackhole();
    const lost = next(channel, 'reconnecting');
    h.clock.advance(HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs);
    const first = await lost;
    // The next attempt is accepted by the kernel and then hears nothing: no WELCOME, no close.
    const swallowed = new Promise<void>((resolve) => proxy.on('connection', () => resolve()));
    h.clock.advance(first.delayMs);
    await swallowed;
    expect(channel.state === 'connecting' || channel.state === 'handshaking').toBe(true);
    const timedOut = next(channel, 'reconnecting');
    h.clock.advance(channel.options.connectTimeoutMs);
    const second = await timedOut;
    expect([second.attempt, second.reason]).toEqual([2, 'connect_timeout']);
    proxy.pass();
    const reopened = next(channel, 'open');
    h.clock.advance(second.delayMs);
    expect((await reopened).resumed).toBe(true);
    expect(channel.session).toBe(session);
  });
});
