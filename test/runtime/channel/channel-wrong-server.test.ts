import type { MultisocketError } from '../../../src/errors';
import { startEchoServer, type EchoServer } from '../../support/echo-server';
import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { reach, recordStates } from '../../support/channel-helpers';

// A URL that reaches a WebSocket server that does not speak the protocol (here one that echoes HELLO back) is a
// misconfiguration that no retry repairs: the channel ends at once, saying what is likely wrong.

describe.each(TRANSPORT_KINDS)('a server that does not speak the protocol, over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });
  let echo: EchoServer;
  beforeEach(async () => {
    echo = await startEchoServer();
  });
  afterEach(async () => {
    await echo.close();
  });

  it('ends the channel with a ProtocolError naming the URL and the likely cause, without retrying', async () => {
    const url = kind !== 'websocket' ? echo.secureUrl : echo.url;
    const channel = make({ url });
    const errors: MultisocketError[] = [];
    channel.on('error', (e) => errors.push(e));
    const states = recordStates(channel);
    const pending = channel.request('x', 1);
    const closed = reach(channel, 'closed');
    channel.connect();
    await closed;
    expect(states).toEqual(['connecting:connect', 'handshaking:socket_open', 'closed:protocol_error']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(`the server at ${url} does not speak the multisocket protocol (it answered HELLO with: HELLO is not expected in state handshaking); is the URL right`);
    await expect(pending).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining('does not speak the multisocket protocol') });
    expect(h.clock.pending).toBe(0);
  });
});
