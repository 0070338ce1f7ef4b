import { createServer, type ReferenceServer } from '../../../server';
import type { Channel } from '../../../src/channel/channel';
import type { Transport } from '../../../src/transport/types';
import { FrameCodec } from '../../../src/wire/codec';
import { opName } from '../../../src/wire/protocol';
import { next, reach } from '../../support/channel-helpers';
import { channelSuite } from '../../support/channels';
import { untilOpen } from '../../support/drive';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { TRANSPORT_KINDS } from '../../support/harness';

/*
 * After a reconnect, what waited in the outbox (PUSH, REQUEST) goes right behind HELLO, before WELCOME, to a server
 * whose last WELCOME announced `early`; RELIABLE frames wait for WELCOME. A server that announces nothing gets nothing
 * early, and one rolled back to such a version refuses the early frames once, failing a request among them with its
 * refusal, after which the client waits for WELCOME again.
 */

/** Each message a channel sent, as its frames' names, and whether the channel was open (WELCOME handled) by then. */
function recordingTransport(inner: Transport, channel: () => Channel): { transport: Transport; sent: string[] } {
  const codec = new FrameCodec();
  const sent: string[] = [];
  const transport: Transport = {
    name: inner.name,
    connect(options) {
      const socket = inner.connect(options);
      const send = socket.send.bind(socket);
      socket.send = (option) => {
        const names = codec.decode(option.data).map((frame) => opName(frame[0]));
        sent.push(`${channel().state === 'open' ? 'open' : 'before WELCOME'}: ${names.join(' ')}`);
        send(option);
      };
      return socket;
    },
  };
  return { transport, sent };
}

/** What the server's handlers saw, in order, with `welcomed` for each connection it opened. */
function record(server: ReferenceServer): string[] {
  const log: string[] = [];
  server.events.on('connection', () => log.push('welcomed'));
  server.on('input', (payload) => void log.push(`input ${String(payload)}`));
  server.on('note', (payload) => void log.push(`note ${String(payload)}`));
  server.handle('ask', (payload) => {
    log.push(`ask ${String(payload)}`);
    return payload;
  });
  return log;
}

describe.each(TRANSPORT_KINDS)('early frames after a reconnect, over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });
  let proxy: FaultProxy | undefined;
  let other: ReferenceServer | undefined;
  afterEach(async () => {
    await proxy?.close();
    await other?.close();
    proxy = other = undefined;
  });

  /** A channel that has opened once through `url`, recording what it sends, and the server's log. */
  async function reconnectingChannel(url = h.url) {
    const made: Channel[] = [];
    const { transport, sent } = recordingTransport(h.transport, () => made[0] as Channel);
    const channel = make({ url, transport });
    made.push(channel);
    channel.connect();
    await reach(channel, 'open');
    const lost = next(channel, 'reconnecting');
    h.drop();
    await lost;
    sent.length = 0;
    return { channel, sent };
  }

  it('sends queued PUSH and REQUEST frames right behind HELLO; the server handles them in order after WELCOME', async () => {
    await h.restart({ authenticate: async () => true });
    const serverLog = record(h.server);
    const { channel, sent } = await reconnectingChannel();
    channel.send('input', 1);
    const answer = channel.request('ask', 2);
    channel.send('input', 3);
    const reliable = channel.sendReliable('note', 4);
    const opened = next(channel, 'open');
    h.clock.advance(0);
    await opened;
    await expect(answer).resolves.toBe(2);
    await reliable;
    expect(sent).toEqual(['before WELCOME: HELLO', 'before WELCOME: PUSH REQUEST PUSH', 'open: RELIABLE']);
    expect(serverLog).toEqual(['welcomed', 'welcomed', 'input 1', 'ask 2', 'input 3', 'note 4']);
  });

  it('fails a request sent early with the refusal when the server refuses the HELLO for good (4101)', async () => {
    let verdicts = 0;
    await h.restart({ authenticate: async () => ++verdicts === 1 });
    const log = record(h.server);
    const { channel, sent } = await reconnectingChannel();
    const answer = channel.request('ask', 1);
    const failed = expect(answer).rejects.toMatchObject({ name: 'DisconnectedError', code: 'closed', closeCode: 4101, closeReason: 'unauthorized' });
    const closed = reach(channel, 'closed');
    h.clock.advance(0);
    await closed;
    await failed;
    expect(sent).toEqual(['before WELCOME: HELLO', 'before WELCOME: REQUEST']);
    expect(log).toEqual(['welcomed']); // the first connection's; the refused one handled nothing
    expect(channel.lastError).toMatchObject({ closeCode: 4101, closeReason: 'unauthorized' });
  });

  it('sends nothing before WELCOME to a server that does not announce early frames', async () => {
    await h.restart({ maxEarlyBytes: 0 });
    const log = record(h.server);
    const { channel, sent } = await reconnectingChannel();
    const answer = channel.request('ask', 1);
    channel.send('input', 2);
    h.clock.advance(0);
    await expect(answer).resolves.toBe(1);
    expect(sent.slice(0, 2)).toEqual(['before WELCOME: HELLO', 'open: REQUEST PUSH']);
    expect(log).toEqual(['welcomed', 'welcomed', 'ask 1', 'input 2']);
  });

  it('after a rollback to a server without early frames: refused once, the request fails with the refusal, then waits', async () => {
    proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port, clock: h.clock });
    // The old server's first verdict never comes, so the early frames surely arrive before its WELCOME would.
    let verdicts = 0;
    other = createServer({ port: 0, maxEarlyBytes: 0, authenticate: () => (++verdicts === 1 ? new Promise<boolean>(() => undefined) : true) });
    const oldLog = record(other);
    const { port } = await other.listen();
    const { channel, sent } = await reconnectingChannel(proxy.url(h.url));
    proxy.retarget(port);
    const answer = channel.request('ask', 1);
    channel.send('input', 2);
    const refused = next(channel, 'reconnecting');
    h.clock.advance(0);
    const failed = expect(answer).rejects.toMatchObject({ name: 'DisconnectedError', code: 'disconnected', closeCode: 4400, closeReason: 'REQUEST sent before WELCOME' });
    expect(await refused).toMatchObject({ reason: 'bye', code: 4400, closeReason: 'REQUEST sent before WELCOME' });
    await failed;
    channel.send('input', 3);
    await untilOpen(channel, h.clock);
    const again = channel.request('ask', 4);
    await expect(again).resolves.toBe(4);
    expect(sent).toEqual(['before WELCOME: HELLO', 'before WELCOME: REQUEST PUSH', 'before WELCOME: HELLO', 'open: PUSH', 'open: REQUEST']);
    expect(oldLog).toEqual(['welcomed', 'input 3', 'ask 4']);
  });
});
