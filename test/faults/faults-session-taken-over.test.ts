import { Channel } from '../../src/channel/channel';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { next, reach, recordStates } from '../support/channel-helpers';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { nextEvent, ProtocolClient } from '../support/protocol-client';

/*
 * Two clients race for one session: another client (here a raw protocol peer, as an independent implementation would
 * be) resumes the session of a channel that is still connected. The newer HELLO wins; the channel is told with BYE
 * 4104, which is terminal, so it does not come back to take the session again (with the retryable 4000 it used to get,
 * the two displaced each other for ever).
 */
describe.each(TRANSPORT_KINDS)('a session taken over by another client (BYE 4104) over %s', (kind) => {
  let h: Harness;
  let channel: Channel;
  let other: ProtocolClient | undefined;

  beforeEach(async () => {
    h = await startHarness(kind);
    channel = new Channel('chat', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5 });
    channel.connect();
    await reach(channel, 'open');
  });
  afterEach(async () => {
    channel.close();
    await other?.close();
    other = undefined;
    await h.close();
  });

  it('the displaced channel ends with 4104 and does not come back; the session stays with the newer client', async () => {
    const session = channel.session as string;
    const delivered: unknown[] = [];
    const arrived = new Promise<void>((resolve) => channel.subscribe('news', (payload) => (delivered.push(payload), resolve())));
    expect(h.server.sendReliable(session, 'news', 'before')).toBe(true);
    await arrived;
    const states = recordStates(channel);
    // Whichever comes first: a retryable code would have the channel reconnect (and take the session back).
    const outcome = Promise.race([next(channel, 'terminal'), next(channel, 'reconnecting')]);

    const address = h.server.address;
    if (!address) throw new Error('the server is not listening');
    other = await ProtocolClient.connect(`${address.url}/ws`);
    const taken = nextEvent(h.server.events, 'connection');
    const welcome = await other.hello({ channel: 'chat', session, recv: 1 });
    expect(welcome).toMatchObject({ session, resumed: true, recv: 0 });
    const { connection } = await taken;

    expect(await outcome).toEqual({ code: CloseCode.SessionTakenOver, reason: 'session taken over' });
    expect(states).toEqual(['closed:terminal']);
    // However long it waits, the channel opens no socket to take the session back.
    const sockets = h.sockets;
    h.clock.advance(600_000);
    expect(h.sockets).toBe(sockets);
    expect(h.clock.pending).toBe(0);

    expect(h.server.sessions.get(session)?.connection).toBe(connection);
    expect(h.server.sendReliable(session, 'news', 'after')).toBe(true);
    expect(await other.expect(Op.Reliable)).toEqual([Op.Reliable, 2, 'news', 'after']);
    expect(delivered).toEqual(['before']);
  });
});
