import type { Channel, ChannelEvents } from '../../../src/channel/channel';
import { next, reach } from '../../support/channel-helpers';
import { channelSuite } from '../../support/channels';
import { failingSends } from '../../support/failing-sends';
import { TRANSPORT_KINDS } from '../../support/harness';
import { SEND_FAILURE_GRACE_MS } from '../../../src/channel/attempt';

/*
 * The server closes while the client is sending. Between the close frame's arrival and the socket's close event
 * (the close handshake's round trip) a send fails with `readyState 2`; the close that follows carries the server's code
 * and reason, and that is what the `reconnecting` event must report, not the failed send. The client sends on every
 * turn of the event loop (`setImmediate`), so a send lands in that window by the loop's own order: the close frame is
 * read in one poll phase, the close event needs the server's answer, a later one.
 */

/** Sends on every turn until the channel reports `reconnecting`; resolves with that event. */
function sendEveryTurn(channel: Channel): Promise<ChannelEvents['reconnecting']> {
  const lost = next(channel, 'reconnecting');
  let done = false;
  void lost.then(() => (done = true));
  let n = 0;
  const pump = (): void => {
    if (done) return;
    channel.send('tick', n++);
    setImmediate(pump);
  };
  pump();
  return lost;
}

describe.each(TRANSPORT_KINDS)('a server close that races a send, over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });

  it('reports a failed send once no close has followed it within SEND_FAILURE_GRACE_MS; later sends wait in the outbox', async () => {
    const { transport, fail } = failingSends(h.transport);
    const channel = make({ transport });
    channel.connect();
    await reach(channel, 'open');
    const lost = next(channel, 'reconnecting');
    fail();
    channel.send('first');
    await Promise.resolve(); // the end-of-turn flush: its send fails
    expect(channel.state).toBe('open');
    expect(channel.send('second')).toBe(true);
    expect(channel.stats().queued).toBe(1);
    h.clock.advance(SEND_FAILURE_GRACE_MS - 1);
    expect(channel.state).toBe('open');
    h.clock.advance(1);
    const event = await lost;
    expect(event).toMatchObject({ reason: 'send_failed', code: undefined });
    expect(event.error).toMatchObject({ name: 'TransportError', code: 'send_failed', errMsg: 'sendSocketMessage:fail the platform refused it' });
    expect(channel.lastError).toBe(event.error);
    expect(channel.stats().queued).toBe(1);
  });

  it('reports the BYE code and reason even when the BYE waited behind other frames', async () => {
    // The BYE comes third in its message. The first frame's subscriber spends the turn's budget (receiveTurnMs 1), so
    // the frames after it wait for a later turn, and the close frame overtakes them.
    h.server.on('boom', (_payload, ctx) => {
      ctx.connection.push('first', 1);
      ctx.connection.push('second', 2);
      ctx.connection.close(4000, 'session store unavailable');
    });
    const channel = make({ receiveTurnMs: 1 });
    channel.subscribe('first', () => h.clock.advance(5));
    channel.connect();
    await reach(channel, 'open');
    channel.send('boom');
    const lost = await sendEveryTurn(channel);
    expect(lost).toMatchObject({ reason: 'bye', code: 4000, closeReason: 'session store unavailable' });
    expect(lost.error).toMatchObject({ code: 'disconnected', closeCode: 4000, closeReason: 'session store unavailable' });
    expect(channel.stats().lastError).toMatchObject({ code: 'disconnected', closeCode: 4000, closeReason: 'session store unavailable' });
  });

  it("reports the socket's own close code and reason when the server closed without a BYE", async () => {
    // `ws` refuses a message over maxPayload itself, with close 1009 and no BYE (as a proxy in front would close).
    await h.restart({ maxPayload: 1024 });
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    channel.send('big', 'x'.repeat(4096));
    const lost = await sendEveryTurn(channel);
    expect(lost).toMatchObject({ reason: 'socket_closed', code: 1009, closeReason: '' });
    expect(lost.error).toMatchObject({ code: 'disconnected', closeCode: 1009, message: 'the connection closed with 1009' });
  });
});
