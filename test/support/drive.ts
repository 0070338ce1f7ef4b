import type { Channel } from '../../src/channel/channel';
import { next } from './channel-helpers';
import type { ManualClock } from './manual-clock';

/**
 * Drives a channel on a manual clock until it is open: while it waits on a timer (backoff, show stagger) time moves to
 * that timer only; while it waits on the network, this waits for its next state change. Bounded in steps.
 * @throws if the channel is still not open after `maxSteps` steps, or closes.
 */
export async function untilOpen(channel: Channel, clock: ManualClock, maxSteps = 1000): Promise<void> {
  for (let steps = 0; channel.state !== 'open'; steps++) {
    if (steps > maxSteps || channel.state === 'closed') throw new Error(`untilOpen: stuck in state ${channel.state}`);
    const nextAt = clock.nextAt;
    if ((channel.state === 'reconnecting' || channel.state === 'suspended') && nextAt !== undefined) {
      clock.advance(Math.max(0, nextAt - clock.now()));
      continue;
    }
    await next(channel, 'state');
  }
}
