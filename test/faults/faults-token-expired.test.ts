import { Channel } from '../../src/channel/channel';
import { DisconnectedError } from '../../src/errors';
import { next, reach } from '../support/channel-helpers';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';

/*
 * The token expires (the server answers BYE 4101): terminal. No retry, and every promise the application holds (a
 * request in flight, requests queued while reconnecting, RELIABLE messages not yet acknowledged) is rejected with a
 * DisconnectedError that names the code and reason. (channel-reconnect.test.ts covers the refused HELLO itself, with
 * a request that failed earlier, at the drop.)
 */
describe.each(TRANSPORT_KINDS)('a token that expires (BYE 4101) over %s', (kind) => {
  let h: Harness;
  let channel: Channel;
  let valid: Set<string>;
  let tokens: number;

  beforeEach(async () => {
    valid = new Set(['t1']);
    tokens = 0;
    h = await startHarness(kind, { authenticate: (token) => valid.has(token ?? '') });
    h.server.handle('slow', () => new Promise(() => undefined));
    channel = new Channel('chat', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5, getToken: () => `t${++tokens}` });
    channel.connect();
    await reach(channel, 'open');
  });
  afterEach(async () => {
    channel.close();
    await h.close();
  });

  /** Every promise rejects with `closed`, naming 4101 and its reason in the error and its message. */
  const expectClosedBy4101 = async (promises: Promise<unknown>[], reason: string) => {
    const outcomes = await Promise.allSettled(promises);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as DisconnectedError;
      expect(error).toBeInstanceOf(DisconnectedError);
      expect([error.code, error.closeCode, error.closeReason]).toEqual(['closed', 4101, reason]);
      expect(error.message).toContain(`4101 ${reason}`);
    }
  };

  it('mid-session: the in-flight request and the unacknowledged RELIABLE messages are rejected naming 4101; no retry', async () => {
    const arrived = new Promise<void>((resolve) => h.server.handle('slow2', () => (resolve(), new Promise(() => undefined))));
    const inFlight = channel.request('slow2', null, { timeoutMs: 60_000 });
    await arrived;
    const connection = [...h.server.connections.values()][0];
    const terminal = next(channel, 'terminal');
    // Sent in the same turn as the BYE leaves the server: still unacknowledged when it arrives.
    const reliable = [channel.sendReliable('up', 1), channel.sendReliable('up', 2)];
    connection?.close(4101, 'token expired');
    expect(await terminal).toEqual({ code: 4101, reason: 'token expired' });
    await expectClosedBy4101([inFlight, ...reliable], 'token expired');
    expect(channel.state).toBe('closed');
    const sockets = h.sockets;
    h.clock.advance(600_000);
    expect(h.sockets).toBe(sockets);
    expect(tokens).toBe(1);
    expect(h.clock.pending).toBe(0);
  });

  it('at the reconnect: requests queued and RELIABLE messages sent while reconnecting are rejected naming 4101; no retry', async () => {
    valid.clear(); // t1 expired; t2, which the next attempt asks for, is refused too
    const lost = next(channel, 'reconnecting');
    h.drop();
    const { delayMs } = await lost;
    const queued = [channel.request('slow', 1, { timeoutMs: 60_000 }), channel.request('slow', 2, { timeoutMs: 60_000 })];
    const reliable = [channel.sendReliable('up', 1), channel.sendReliable('up', 2)];
    const terminal = next(channel, 'terminal');
    h.clock.advance(delayMs);
    expect(await terminal).toEqual({ code: 4101, reason: 'unauthorized' });
    await expectClosedBy4101([...queued, ...reliable], 'unauthorized');
    expect(channel.stats()).toMatchObject({ state: 'closed', queued: 0, pendingRequests: 0, unacked: 0 });
    const sockets = h.sockets;
    h.clock.advance(600_000);
    expect(h.sockets).toBe(sockets);
    expect(tokens).toBe(2);
  });
});
