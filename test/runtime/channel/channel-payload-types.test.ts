import { UsageError } from '../../../src/errors';
import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { reach } from '../../support/channel-helpers';

// What the server receives for each kind of payload (README, "Payload types"): the data, or a refusal at the call.

describe.each(TRANSPORT_KINDS)('payload types over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });

  /** PUSH payloads of topic `state` as the server's handler got them; REQUEST `echo` answers its payload. */
  function record(): unknown[] {
    const got: unknown[] = [];
    h.server.on('state', (payload) => {
      got.push(payload);
    });
    h.server.handle('echo', (payload) => payload);
    return got;
  }

  it('a Map arrives as an object of its entries and a Set as an array of its values', async () => {
    const got = record();
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    const players = new Map<string | number, unknown>([['ann', { x: 1 }], [7, new Set(['a', 'b'])]]);
    expect(channel.send('state', { players, tags: new Set([1, 2]) })).toBe(true);
    // Frames are handled in order: once the request is answered, the push before it has arrived.
    await expect(channel.request('echo', new Map([['ok', true]]))).resolves.toEqual({ ok: true });
    expect(got).toEqual([{ players: { ann: { x: 1 }, 7: ['a', 'b'] }, tags: [1, 2] }]);
  });

  it('a payload that would change on the way is refused at the call, and nothing is sent', async () => {
    const got = record();
    const channel = make();
    channel.connect();
    await reach(channel, 'open');
    for (const bad of [/x/, new Map([[{}, 1]]), new Error('e')]) {
      expect(() => channel.send('state', { bad })).toThrow(UsageError);
    }
    channel.send('state', 'last');
    await channel.request('echo', null);
    expect(got).toEqual(['last']);
  });
});
