import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { reach } from '../../support/channel-helpers';
import type { Channel } from '../../../src/channel/channel';

// Every method that returns a Promise reports by rejecting it, never by throwing at the call: an application that
// writes `channel.sendReliable(...).catch(report)` sees every failure there.

/** Calls `call`, failing the test if it throws synchronously; returns the code its Promise rejects with. */
async function rejection(call: () => Promise<unknown>): Promise<string> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new Error(`threw at the call instead of rejecting: ${String(error)}`);
  }
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  return (error as { code?: string }).code ?? String(error);
}

const methods: [string, (channel: Channel, topic: string, payload: unknown) => Promise<unknown>][] = [
  ['sendReliable', (channel, topic, payload) => channel.sendReliable(topic, payload)],
  ['request', (channel, topic, payload) => channel.request(topic, payload)],
];

describe.each(TRANSPORT_KINDS)('promise-returning methods reject over %s', (kind) => {
  const { make } = channelSuite(kind, 'chat', { random: () => 0 });

  it.each(methods)('%s rejects for a bad topic, an unencodable payload and a closed channel', async (_name, call) => {
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    await expect(rejection(() => call(channel, '', 1))).resolves.toBe('invalid_argument');
    await expect(rejection(() => call(channel, 'ok', { f: () => 1 }))).resolves.toBe('unencodable');
    channel.close();
    await expect(rejection(() => call(channel, 'ok', 1))).resolves.toBe('closed');
  });

  it('waitFor rejects for a closed channel', async () => {
    const channel = make();
    channel.close();
    await expect(rejection(() => channel.waitFor('x'))).resolves.toBe('closed');
  });
});
