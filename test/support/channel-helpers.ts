import type { Channel, ChannelEvents } from '../../src/channel/channel';
import type { ChannelState } from '../../src/channel/state';

/** Resolves with the next event of `channel` named `event` whose context passes `test`. */
export function next<K extends keyof ChannelEvents & string>(
  channel: Channel,
  event: K,
  test: (context: ChannelEvents[K]) => boolean = () => true,
): Promise<ChannelEvents[K]> {
  return new Promise((resolve) => {
    const undo = channel.on(event, (context) => {
      if (!test(context)) return;
      undo();
      resolve(context);
    });
  });
}

/** Resolves once the channel is in `state` (at once if it already is). */
export function reach(channel: Channel, state: ChannelState): Promise<void> {
  if (channel.state === state) return Promise.resolve();
  return next(channel, 'state', (s) => s.next === state).then(() => undefined);
}

/** Records every state transition of a channel, for assertions on the sequence. */
export function recordStates(channel: Channel): string[] {
  const seen: string[] = [];
  channel.on('state', ({ next: to, reason }) => seen.push(`${to}:${reason}`));
  return seen;
}

/** Calls `close` (the channel's own, or its manager's) and resolves once `channel` is closed. */
export async function closeAndWait(channel: Channel, close: () => void): Promise<void> {
  const closed = reach(channel, 'closed');
  close();
  await closed;
}

/** Closes each client's manager in turn and waits for its channel to reach `closed`, emptying `clients`. */
export async function closeClients(clients: { channel: Channel; manager: { close(): void } }[]): Promise<void> {
  for (const c of clients.splice(0)) await closeAndWait(c.channel, () => c.manager.close());
}
