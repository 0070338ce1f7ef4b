import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/time/backoff';
import { Channel } from '../../../src/channel/channel';
import { DisconnectedError, TimeoutError } from '../../../src/errors';
import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { next, reach, recordStates } from '../../support/channel-helpers';

describe.each(TRANSPORT_KINDS)('heartbeat, reconnect and terminal codes over %s', (kind) => {
  const { h, channels, make } = channelSuite(kind, 'chat', { random: () => 0.5, heartbeat: { intervalMs: 5000, timeoutMs: 4000 } });

  it('finds a half-open socket (server alive but silent) within intervalMs + timeoutMs, then reconnects and resumes', async () => {
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    const firstSession = channel.session;
    h.silence();
    h.clock.advance(5000); // PING goes out, unanswered
    expect(channel.state).toBe('open');
    const lost = next(channel, 'reconnecting');
    h.clock.advance(4000);
    const delayMs = backoffDelay(0, DEFAULT_BACKOFF, () => 0.5);
    await expect(lost).resolves.toEqual({ attempt: 1, delayMs, reason: 'heartbeat_timeout' });
    const reopened = next(channel, 'open');
    h.clock.advance(delayMs);
    const { resumed } = await reopened;
    // The server still holds the session, so HELLO's session + recv resume it (PROTOCOL.md section 5).
    expect(resumed).toBe(true);
    expect(channel.session).toBe(firstSession);
    expect(channel.stats().reconnects).toBe(1);
  });

  it('a live connection survives timers that fire late after the app was frozen', async () => {
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    const states = recordStates(channel);
    h.clock.advance(5000); // a PING, answered below
    await next(channel, 'pong');
    h.clock.jump(120_000); // frozen: every timer fires at once, long past its deadline
    const probe = await next(channel, 'pong');
    expect(probe.rtt).toBeGreaterThanOrEqual(0);
    expect(states).toEqual([]);
    expect(channel.state).toBe('open');
  });

  it('measures rtt and the server clock offset from PONGs', async () => {
    const offsetMs = 123_456;
    await h.restart({ clock: { now: () => Date.now() + offsetMs, setTimeout, clearTimeout } });
    const realClock = { now: () => Date.now(), setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout) };
    const channel = new Channel('game', { url: h.url, transport: h.transport, clock: realClock, heartbeat: { intervalMs: 20, timeoutMs: 1000 } });
    channels.push(channel);
    channel.connect();
    const pong = await next(channel, 'pong');
    expect(pong.rtt).toBeGreaterThanOrEqual(0);
    expect(Math.abs(pong.offset - offsetMs)).toBeLessThan(50);
    expect(Math.abs(channel.serverNow() - (Date.now() + offsetMs))).toBeLessThan(50);
    // On the real clock, wait for the close to complete so no closing deadline outlives the test.
    const closed = reach(channel, 'closed');
    channel.close();
    await closed;
  });

  it('backs off with full jitter within its bounds while the server is away', async () => {
    const rolls = [0.1, 0.9, 0.5, 0.99, 0.0];
    let i = 0;
    const channel = make({ random: () => rolls[i++ % rolls.length] as number, reconnect: { baseMs: 500, factor: 2, maxMs: 3000, minStableMs: 5000 } });
    channel.connect();
    await reach(channel, 'open');
    const delays: number[] = [];
    let lost = next(channel, 'reconnecting');
    await h.server.close({ code: 4000, reason: 'restarting' });
    for (let n = 0; n < 5; n++) {
      const r = await lost;
      lost = next(channel, 'reconnecting');
      delays.push(r.delayMs);
      expect(r.attempt).toBe(n + 1);
      h.clock.advance(r.delayMs); // the attempt fails: nothing listens
    }
    // cap = min(3000, 500 * 2^attempt), times the roll
    expect(delays).toEqual([50, 900, 1000, 2970, 0]);
  });

  it('BYE 4000 with a retry hint: the client comes back within the hint instead of its backoff', async () => {
    const channel = make({ random: () => 0.5, reconnect: { baseMs: 2000, maxMs: 3000 } });
    channel.connect();
    await reach(channel, 'open');
    const lost = next(channel, 'reconnecting');
    await h.server.close({ code: 4000, reason: 'restarting', retryMs: 400 });
    // 0.5 of the hint, where the backoff would have waited 0.5 of baseMs (1000).
    expect(await lost).toMatchObject({ attempt: 1, code: 4000, delayMs: 200 });
    const again = next(channel, 'reconnecting');
    h.clock.advance(200); // the attempt fails (nothing listens): the backoff takes over, 0.5 × min(3000, 2000 × 2)
    expect(await again).toMatchObject({ attempt: 2, delayMs: 1500 });
  });

  it('a bad retry hint is refused by close() before anything is sent', async () => {
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    expect(() => h.server.close({ code: 4000, retryMs: -1 })).toThrow('option retryMs is invalid: -1');
    expect(channel.state).toBe('open');
  });

  it('attempts reset only after the connection stayed open minStableMs', async () => {
    const channel = make({ reconnect: { minStableMs: 5000 } });
    channel.connect();
    await reach(channel, 'open');
    const cycle = async () => {
      const lost = next(channel, 'reconnecting');
      h.drop();
      const r = await lost;
      const reopened = next(channel, 'open');
      h.clock.advance(r.delayMs);
      await reopened;
      return r.attempt;
    };
    expect(await cycle()).toBe(1);
    expect(await cycle()).toBe(2); // dropped again at once: not stable, keeps counting
    h.clock.advance(4999);
    expect(await cycle()).toBe(3);
    h.clock.advance(5000);
    expect(await cycle()).toBe(1);
  });

  it('BYE 4101 is terminal: closed, a terminal event, pending requests rejected, no retry', async () => {
    let tokens = 0;
    await h.restart({ authenticate: (token) => token === 'good' });
    const channel = make({ getToken: () => (tokens++ === 0 ? 'good' : 'expired') });
    channel.connect();
    await reach(channel, 'open');
    h.server.handle('slow', () => new Promise(() => undefined));
    const pending = channel.request('slow', null, { timeoutMs: 60_000 });
    const terminal = next(channel, 'terminal');
    h.drop();
    // The next attempt carries a fresh token, which the server refuses with BYE 4101.
    const r = await next(channel, 'reconnecting');
    await expect(pending).rejects.toBeInstanceOf(DisconnectedError);
    h.clock.advance(r.delayMs);
    await expect(terminal).resolves.toEqual({ code: 4101, reason: 'unauthorized' });
    expect(channel.state).toBe('closed');
    const before = h.sockets;
    h.clock.advance(120_000);
    expect(h.sockets).toBe(before);
    expect(h.clock.pending).toBe(0);
    expect(tokens).toBe(2);
  });

  it('asks getToken (sync or async) again before every attempt, so an expired token is renewed', async () => {
    const seen: (string | undefined)[] = [];
    await h.restart({
      authenticate: (token) => {
        seen.push(token);
        return true;
      },
    });
    let n = 0;
    const channel = make({ getToken: async () => `token-${++n}` });
    channel.connect();
    await reach(channel, 'open');
    h.drop();
    const r = await next(channel, 'reconnecting');
    const reopened = next(channel, 'open');
    h.clock.advance(r.delayMs);
    await reopened;
    expect(seen).toEqual(['token-1', 'token-2']);
  });

  it('a failing getToken is reported and retried with backoff, never a tight loop', async () => {
    let calls = 0;
    const channel = make({
      getToken: () => {
        calls++;
        throw new Error('login server down');
      },
    });
    const errors: string[] = [];
    channel.on('error', (e) => errors.push(e.message));
    const r = next(channel, 'reconnecting');
    channel.connect();
    expect((await r).reason).toBe('token_failed');
    expect(calls).toBe(1);
    expect(errors[0]).toMatch(/getToken failed: login server down/);
    expect(errors.join()).not.toMatch(/secret/);
  });

  it('a request times out at its deadline, and one in flight fails when the connection drops; nothing stays pending', async () => {
    let arrived: () => void = () => undefined;
    h.server.handle('never', () => {
      arrived();
      return new Promise(() => undefined);
    });
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    const timedOut = channel.request('never', null, { timeoutMs: 1000 });
    h.clock.advance(1000);
    await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
    const atServer = new Promise<void>((resolve) => (arrived = resolve));
    const inFlight = channel.request('never', null, { timeoutMs: 60_000 });
    await atServer;
    h.drop();
    await expect(inFlight).rejects.toMatchObject({ code: 'disconnected' });
    expect(channel.stats().pendingRequests).toBe(0);
  });

  it('close() before the socket opens is carried out when it opens, and nothing reconnects', async () => {
    const connections: string[] = [];
    h.server.events.on('connection', ({ connection }) => connections.push(connection.id));
    const channel = make();
    const states = recordStates(channel);
    channel.connect();
    channel.close();
    await reach(channel, 'closed');
    expect(states).toEqual(['connecting:connect', 'closing:close_requested', 'closed:closed']);
    h.clock.advance(60_000);
    expect(h.sockets).toBe(1);
    expect(connections).toEqual([]);
    expect(h.clock.pending).toBe(0);
  });

  it('an explicit close never reconnects and releases every timer and listener', async () => {
    const channel = make();
    channel.on('state', () => undefined);
    channel.connect();
    await reach(channel, 'open');
    const waiting = expect(channel.waitFor('never', { timeoutMs: 10_000 })).rejects.toBeInstanceOf(DisconnectedError);
    const inFlight = expect(channel.request('x', null, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(DisconnectedError);
    const closed = reach(channel, 'closed');
    channel.close();
    await closed;
    await waiting;
    await inFlight;
    expect(channel.state).toBe('closed');
    expect(channel.activeTimers).toBe(0);
    expect(h.clock.pending).toBe(0);
    expect(channel.listenerCount).toBe(0);
    const sockets = h.sockets;
    h.clock.advance(120_000);
    expect(h.sockets).toBe(sockets);
  });
});
