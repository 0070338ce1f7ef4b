import { Channel } from '../../../src/channel/channel';
import { TimeoutError } from '../../../src/errors';
import { startSilentServer, type SilentServer } from '../../support/echo-server';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';
import { next, reach, recordStates } from '../../support/channel-helpers';

describe.each(TRANSPORT_KINDS)('connect timeout and giving up over %s', (kind) => {
  let h: Harness;
  let silent: SilentServer;
  const channels: Channel[] = [];
  const make = (url: string, options: Partial<ConstructorParameters<typeof Channel>[1]> = {}) => {
    const channel = new Channel('chat', { url, transport: h.transport, clock: h.clock, random: () => 0.5, ...options });
    channels.push(channel);
    return channel;
  };
  const silentUrl = () => (kind !== 'websocket' ? silent.secureUrl : silent.url);

  beforeEach(async () => {
    h = await startHarness(kind);
    silent = await startSilentServer();
  });
  afterEach(async () => {
    channels.splice(0).forEach((c) => c.close());
    await silent.close();
    await h.close();
  });

  it('a server that accepts TCP but never answers hits connectTimeoutMs, and the attempt is retried', async () => {
    const channel = make(silentUrl(), { connectTimeoutMs: 2000 });
    const errors: unknown[] = [];
    channel.on('error', (e) => errors.push(e));
    channel.connect();
    h.clock.advance(1999);
    expect(channel.state).toBe('connecting');
    const lost = next(channel, 'reconnecting');
    h.clock.advance(1);
    await expect(lost).resolves.toMatchObject({ attempt: 1, reason: 'connect_timeout' });
    expect(errors[0]).toBeInstanceOf(TimeoutError);
  });

  it('gives up after maxAttempts: closed with reason gave_up, no further sockets', async () => {
    const channel = make(silentUrl(), { connectTimeoutMs: 1000, reconnect: { maxAttempts: 2 } });
    const states = recordStates(channel);
    channel.connect();
    for (let i = 0; i < 2; i++) {
      const r = next(channel, 'reconnecting');
      h.clock.advance(1000);
      h.clock.advance((await r).delayMs);
    }
    const closed = reach(channel, 'closed');
    h.clock.advance(1000);
    await closed;
    expect(states.filter((s) => s.startsWith('connecting'))).toHaveLength(3);
    expect(states[states.length - 1]).toBe('closed:gave_up');
    const sockets = h.sockets;
    h.clock.advance(600_000);
    expect(h.sockets).toBe(sockets);
    expect(h.clock.pending).toBe(0);
  });

  it('shouldReconnect is asked with the attempt and reason, and false closes the channel', async () => {
    const asked: unknown[] = [];
    const channel = make(h.url, {
      shouldReconnect: (info) => {
        asked.push({ attempt: info.attempt, reason: info.reason });
        return false;
      },
    });
    channel.connect();
    await reach(channel, 'open');
    const closed = reach(channel, 'closed');
    h.drop();
    await closed;
    expect(asked).toEqual([{ attempt: 0, reason: 'socket_closed' }]);
    expect(h.clock.pending).toBe(0);
  });

  it('close() while connecting to a server that never answers releases everything', async () => {
    const channel = make(silentUrl(), { connectTimeoutMs: 5000 });
    channel.connect();
    const closed = reach(channel, 'closed');
    channel.close();
    h.clock.advance(5000); // the closing deadline: the socket never opened, so it never closes either
    await closed;
    expect(h.clock.pending).toBe(0);
  });
});
