import { Channel } from '../../../src/channel/channel';
import { reach, recordStates } from '../../support/channel-helpers';
import { untilOpen } from '../../support/drive';
import { failingSends } from '../../support/failing-sends';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';

// close() flushes what is batched; if the platform refuses that send on the spot, the channel must still end closed
// once the socket has closed, not lose the connection, arm a reconnect and open a new socket from `closing`.

describe.each(TRANSPORT_KINDS)('close() when the flush it makes fails, over %s', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(kind);
  });
  afterEach(async () => {
    await h.close();
  });

  it('ends closed, with no reconnect and no new socket', async () => {
    const { transport, fail, connects } = failingSends(h.transport);
    const channel = new Channel('chat', { url: h.url, transport, clock: h.clock, random: () => 0.5 });
    channel.connect();
    await untilOpen(channel, h.clock);
    const states = recordStates(channel);
    channel.send('chat/say', { text: 'batched, not yet sent' });
    fail();
    const closed = reach(channel, 'closed');
    channel.close();
    expect(channel.state).toBe('closing');
    await closed;
    h.clock.advance(60_000);
    expect(channel.state).toBe('closed');
    expect(connects()).toBe(1);
    expect(states).not.toContain('connecting');
    await Promise.resolve(); // the batcher's end-of-turn flush, queued by send(), runs and finds nothing
    expect(channel.activeTimers).toBe(0);
  });
});
