import { Channel } from '../../../src/channel/channel';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';
import { next, reach } from '../../support/channel-helpers';
import { Changes, holds, waitFor } from '../../support/wait';

// RELIABLE messages the server applied but had not acknowledged when the session was lost must not be applied twice:
// WELCOME's previousRecv tells the client what the lost session had applied (PROTOCOL.md section 5).
describe.each(TRANSPORT_KINDS)('a lost session does not re-apply what it had applied, over %s', (kind) => {
  let h: Harness;
  let channel: Channel;

  beforeEach(async () => {
    // No ACK before the cut (huge ackEvery/ackDelayMs), and a resume window that ends as soon as the client is gone.
    h = await startHarness(kind, { resumeWindowMs: 1, reliable: { ackEvery: 1000, ackDelayMs: 600_000 } });
  });
  afterEach(async () => {
    const closed = channel && channel.state !== 'closed' ? reach(channel, 'closed') : Promise.resolve();
    channel?.close();
    await closed;
    await h.close();
  });

  it('unacknowledged messages the server applied are acknowledged by previousRecv, not sent again', async () => {
    const applied: unknown[] = [];
    const changes = new Changes();
    h.server.on('work', (payload) => {
      applied.push(payload);
      changes.notify();
    });
    const appliedCount = (count: number) => waitFor(`${count} applied`, holds(() => applied.length >= count, changes), { detail: () => applied });
    channel = new Channel('jobs', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5 });
    channel.connect();
    await reach(channel, 'open');
    const sent = [1, 2, 3, 4, 5].map((n) => channel.sendReliable('work', n));
    const settled = Promise.allSettled(sent); // observed from the start: a failure below leaves nothing unhandled
    await appliedCount(5);
    expect(channel.stats().unacked).toBe(5);

    const sessionEnded = new Promise<void>((resolve) => h.server.events.on('sessionEnd', () => resolve()));
    const lost = next(channel, 'reconnecting');
    h.drop();
    const { delayMs } = await lost;
    await sessionEnded; // the server no longer holds the session
    const resync = next(channel, 'resync');
    h.clock.advance(delayMs);
    await resync;
    expect((await settled).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']); // acked by previousRecv
    expect(channel.stats().unacked).toBe(0);

    // Still unacknowledged when the test closes the channel (this server acks late by design): that rejection is expected.
    const more = channel.sendReliable('work', 6).catch((error: Error) => error);
    await appliedCount(6);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6]);
    void more;
  });

  it('an open listener that closes the channel hears no resync afterwards', async () => {
    channel = new Channel('jobs', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5 });
    channel.connect();
    await reach(channel, 'open');
    const sessionEnded = new Promise<void>((resolve) => h.server.events.on('sessionEnd', () => resolve()));
    const lost = next(channel, 'reconnecting');
    h.drop();
    const { delayMs } = await lost;
    await sessionEnded;
    const events: string[] = [];
    channel.on('open', () => {
      events.push('open');
      channel.close();
    });
    channel.on('resync', () => events.push('resync'));
    const closed = reach(channel, 'closed');
    h.clock.advance(delayMs);
    await closed;
    expect(events).toEqual(['open']);
  });
});
