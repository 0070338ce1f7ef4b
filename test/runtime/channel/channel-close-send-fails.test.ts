import { Channel } from '../../../src/channel/channel';
import type { SocketLike, Transport } from '../../../src/transport/types';
import { recordStates } from '../../support/channel-helpers';
import { untilOpen } from '../../support/drive';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../../support/harness';

// close() flushes what is batched; if the platform refuses that send on the spot, the channel must still end closed,
// not lose the connection, arm a reconnect and open a new socket from `closing`.

/** The harness's transport, with a switch that makes every send fail synchronously (as a platform may). */
function failingSends(inner: Transport): { transport: Transport; fail: () => void; connects: () => number } {
  let failing = false;
  let connects = 0;
  const transport: Transport = {
    name: inner.name,
    connect(options) {
      connects++;
      const socket = inner.connect(options);
      const wrapped: SocketLike = {
        send: (option) => {
          if (failing) option.fail?.({ errMsg: 'sendSocketMessage:fail the platform refused it' });
          else socket.send(option);
        },
        close: (option) => socket.close(option),
        onOpen: (listener) => socket.onOpen(listener),
        onMessage: (listener) => socket.onMessage(listener),
        onError: (listener) => socket.onError(listener),
        onClose: (listener) => socket.onClose(listener),
      };
      return wrapped;
    },
  };
  return { transport, fail: () => (failing = true), connects: () => connects };
}

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
    channel.close();
    expect(channel.state).toBe('closed');
    h.clock.advance(60_000);
    expect(channel.state).toBe('closed');
    expect(connects()).toBe(1);
    expect(states).not.toContain('connecting');
    await Promise.resolve(); // the batcher's end-of-turn flush, queued by send(), runs and finds nothing
    expect(channel.activeTimers).toBe(0);
  });
});
