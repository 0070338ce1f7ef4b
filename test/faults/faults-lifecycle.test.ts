import type { Channel } from '../../src/channel/channel';
import { ConnectionManager } from '../../src/manager';
import { next, reach, recordStates } from '../support/channel-helpers';
import { untilOpen } from '../support/drive';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { ManualClock } from '../support/manual-clock';

/*
 * The app goes to the background and the network comes and goes, in the orders a phone produces them, with RELIABLE
 * messages in flight both ways. The platform's 5 s cut is the wx emulator's own (on its own clock, so the runtime's
 * timers can stay frozen meanwhile) or, on a plain WebSocket, the proxy resetting the connection; a network lost
 * without notice is the proxy's black hole. (The lifecycle state machine alone is in manager.test.ts: hide past the
 * grace, shown within it, offline, and hidden + offline.)
 */
const HEARTBEAT = { intervalMs: 5000, timeoutMs: 4000 };

describe.each(TRANSPORT_KINDS)('background and network faults over %s', (kind) => {
  let h: Harness;
  let platformClock: ManualClock;
  let proxy: FaultProxy;
  let manager: ConnectionManager;
  let channel: Channel;
  const up: number[] = [];
  const down: number[] = [];
  let sent = 0;
  const acks: Promise<void>[] = [];

  beforeEach(async () => {
    platformClock = new ManualClock();
    h = await startHarness(kind, {}, { clock: platformClock });
    proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port });
    manager = new ConnectionManager({ transport: h.transport, lifecycle: h.lifecycle, clock: h.clock, random: () => 0.5, hideGraceMs: 3000, showStaggerMs: 200 });
    up.length = 0;
    down.length = 0;
    sent = 0;
    acks.length = 0;
    h.server.on('up', (n) => void up.push(n as number));
    channel = manager.open('chat', { url: proxy.url(h.url), heartbeat: HEARTBEAT });
    channel.subscribe('down', (n) => void down.push(n as number));
    await reach(channel, 'open');
  });
  afterEach(async () => {
    manager.close();
    await proxy.close();
    await h.close();
  });

  /** Ten RELIABLE messages each way, whatever the state: the client's wait in its session, the server's in its own. */
  const exchange = () => {
    const session = h.server.sessions.get(channel.session as string);
    for (let i = 0; i < 10; i++) {
      sent++;
      const acked = channel.sendReliable('up', sent);
      acked.catch(() => undefined); // observed at once; checkDelivered awaits it
      acks.push(acked);
      session?.sendReliable('down', sent);
    }
  };
  const checkDelivered = async () => {
    await Promise.all(acks);
    while (down.length < sent) await channel.waitFor('down');
    const all = Array.from({ length: sent }, (_, i) => i + 1);
    expect(up).toEqual(all);
    expect(down).toEqual(all);
  };
  /** The link turns into a black hole with messages in flight both ways; the heartbeat's deadline then passes. */
  const blackholeUntilHeartbeat = () => {
    proxy.blackhole();
    exchange();
    const dead = next(channel, 'reconnecting');
    h.clock.advance(HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs);
    return dead;
  };
  /** The platform's cut, 5 s after hiding: the emulator's own, or (no platform) the proxy resetting the connection. */
  const platformCut = () => (kind !== 'websocket' ? platformClock.advance(5000) : proxy.reset());

  it.each(['shown first', 'frozen timers first'])(
    "hidden past the platform's 5 s cut while the runtime's timers are frozen, then back (%s): resumed, nothing lost or doubled",
    async (order) => {
      const session = channel.session;
      exchange();
      const states = recordStates(channel);
      const cut = next(channel, 'reconnecting');
      h.hide();
      platformCut(); // the runtime's hideGraceMs timer never ran: its clock is frozen
      const r = await cut;
      if (kind !== 'websocket') expect([r.code, r.closeReason]).toEqual([1000, 'interrupted']);
      exchange(); // while away
      const connects = h.sockets;
      if (order === 'shown first') {
        h.show();
        h.clock.jump(60_000); // the frozen timers fire at once: the overdue backoff
      } else {
        h.clock.jump(60_000); // the grace timer fires first and suspends the channel
        expect(channel.state).toBe('suspended');
        h.show();
      }
      await untilOpen(channel, h.clock);
      // None spent while away. Shown first: one attempt, at once. Timers first: the overdue backoff (due before the
      // grace timer) starts one that the grace timer abandons in the same turn, then the one after show.
      expect(h.sockets - connects).toBe(order === 'shown first' ? 1 : 2);
      expect(channel.session).toBe(session);
      expect(states.filter((s) => s.startsWith('open'))).toEqual(['open:welcome']);
      exchange();
      await checkDelivered();
    },
  );

  it('network lost without notice (black hole), then announced, then back: found by the heartbeat, no attempt while offline, resumed', async () => {
    const session = channel.session;
    const dead = blackholeUntilHeartbeat();
    expect((await dead).reason).toBe('heartbeat_timeout');
    const suspended = reach(channel, 'suspended');
    h.networkDown();
    await suspended;
    const connects = h.sockets;
    h.clock.advance(120_000);
    expect(h.sockets).toBe(connects);
    expect(channel.stats().attempt).toBe(1); // only the reconnect the heartbeat started
    proxy.pass();
    const reopened = next(channel, 'open');
    h.networkUp();
    expect((await reopened).resumed).toBe(true); // at once: no backoff when the network comes back
    expect(channel.session).toBe(session);
    await checkDelivered();
  });

  it('network lost, then hidden, then the network back while hidden, then shown: no attempt until shown, then resumed', async () => {
    const session = channel.session;
    const dead = blackholeUntilHeartbeat();
    await dead;
    const suspended = reach(channel, 'suspended');
    h.hide();
    h.clock.advance(3000); // the grace ends: suspended without spending attempts
    await suspended;
    if (kind !== 'websocket') platformClock.advance(5000);
    proxy.pass();
    const connects = h.sockets;
    h.networkDown();
    h.networkUp(); // back while still hidden: nothing happens until shown
    h.clock.advance(60_000);
    expect(channel.state).toBe('suspended');
    expect(h.sockets).toBe(connects);
    exchange();
    const reopened = next(channel, 'open');
    h.show();
    h.clock.advance(100); // the show stagger, 0.5 * 200 ms
    expect((await reopened).resumed).toBe(true);
    expect(channel.session).toBe(session);
    await checkDelivered();
  });
});
