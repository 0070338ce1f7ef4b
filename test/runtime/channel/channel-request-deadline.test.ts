import { Channel } from '../../../src/channel/channel';
import { FROZEN_SLACK_MS } from '../../../src/channel/heartbeat';
import { closeAndWait, reach } from '../../support/channel-helpers';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';

// Phones throttle timers, so a send checks the heartbeat deadline itself instead of trusting the timer; a request
// must too, or it is batched onto a connection that is already overdue and fails as `disconnected` later.
describe.each(TRANSPORT_KINDS)('a request made past the heartbeat deadline, over %s', (kind) => {
  let h: Harness;
  let channel: Channel;
  beforeEach(async () => {
    h = await startHarness(kind);
  });
  afterEach(async () => {
    await closeAndWait(channel, () => channel.close());
    await h.close();
  });

  it('finds the connection dead, and the request waits in the outbox for the next connection', async () => {
    channel = new Channel('chat', {
      url: h.url,
      transport: h.transport,
      clock: h.clock,
      random: () => 0.5,
      heartbeat: { intervalMs: 1000, timeoutMs: 1000 },
    });
    channel.connect();
    await reach(channel, 'open');
    h.silence(); // no PONG will come back
    h.clock.advance(1000); // the PING goes out
    // The timer that would judge it is throttled away (as on a phone); time passes past the deadline.
    (h.clock as unknown as { timers: Map<number, unknown> }).timers.clear();
    h.clock.jump(1000 + FROZEN_SLACK_MS - 1);
    const reply = channel.request('room/join', { room: 1 }).catch((error: Error) => error);
    expect(channel.state).toBe('reconnecting');
    expect(channel.stats().queued).toBe(1);
    channel.close();
    expect(await reply).toMatchObject({ code: 'closed' });
  });
});
