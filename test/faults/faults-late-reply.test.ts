import { closeProxied, openThroughProxy } from '../support/proxied';
import { Channel } from '../../src/channel/channel';
import type { ServerConnection } from '../../server';
import { next } from '../support/channel-helpers';
import type { FaultProxy } from '../support/fault-proxy';
import { type Harness, TRANSPORT_KINDS } from '../support/harness';

/*
 * A REQUEST belongs to the connection that carried it (PROTOCOL.md, "Push and request"). When that connection is lost,
 * the side that sent the REQUEST fails it with `disconnected` at once, not at its deadline; the side whose handler
 * answers later drops that answer and says so (the client: `dropped` and `stats().dropped`; the server: an `error`
 * event with code `disconnected`), and never sends it on the resumed session's next connection.
 */
const LONG = 60_000; // a deadline no test reaches: a request that waited for it would time the test out

/** A promise and the functions that settle it, for a handler that answers when the test says so. */
function later<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe.each(TRANSPORT_KINDS)('an answer computed after the connection changed, over %s', (kind) => {
  let h: Harness;
  let proxy: FaultProxy;
  let channel: Channel;

  beforeEach(async () => {
    ({ h, proxy, channel } = await openThroughProxy(kind));
  });
  afterEach(() => closeProxied({ h, proxy, channel }));

  /** Cuts the link (both ends see it close), then lets the channel reconnect and resume its session. */
  async function cutAndResume(): Promise<void> {
    const session = channel.session;
    const lost = next(channel, 'reconnecting');
    proxy.reset();
    const { delayMs } = await lost;
    const reopened = next(channel, 'open');
    h.clock.advance(delayMs);
    expect((await reopened).resumed).toBe(true);
    expect(channel.session).toBe(session);
  }

  it("server to client: the server fails its REQUEST with disconnected when the link drops; the client's late REPLY and FAIL are dropped and reported", async () => {
    const reply = later<string>();
    const refusal = later<string>();
    let handlersRan = 0;
    const bothRan = new Promise<void>((resolve) => {
      const ran = (): void => void (++handlersRan === 2 && resolve());
      channel.subscribe('ask', () => {
        ran();
        return reply.promise;
      });
      channel.subscribe('refuse', () => {
        ran();
        return refusal.promise;
      });
    });
    const connection = [...h.server.connections.values()][0] as ServerConnection;
    const asked = h.server.request(connection, 'ask', 1, { timeoutMs: LONG }).then(
      () => 'replied',
      (error: unknown) => error,
    );
    const refused = h.server.request(connection, 'refuse', 2, { timeoutMs: LONG }).then(
      () => 'replied',
      (error: unknown) => error,
    );
    await bothRan;

    await cutAndResume();
    expect(await asked).toMatchObject({ code: 'disconnected' });
    expect(await refused).toMatchObject({ code: 'disconnected' });

    const framesSent = channel.stats().framesSent;
    const dropped: unknown[] = [];
    const both = new Promise<void>((resolve) => channel.on('dropped', (event) => void (dropped.push(event) === 2 && resolve())));
    reply.resolve('late');
    refusal.reject(Object.assign(new Error('too late'), { code: 'nope' }));
    await both;
    expect(dropped).toEqual([
      { topic: 'ask', reason: 'disconnected' },
      { topic: 'refuse', reason: 'disconnected' },
    ]);
    expect(channel.stats()).toMatchObject({ dropped: 2, framesSent, protocolErrors: 0 });
  });

  it("client to server: the client fails its REQUEST with disconnected when the link drops; the server's late REPLY and FAIL are reported as errors, not sent on the resumed connection", async () => {
    const reply = later<string>();
    const refusal = later<string>();
    let handlersRan = 0;
    const bothRan = new Promise<void>((resolve) => {
      const ran = (): void => void (++handlersRan === 2 && resolve());
      h.server.handle('slow', () => {
        ran();
        return reply.promise;
      });
      h.server.handle('refuse', () => {
        ran();
        return refusal.promise;
      });
    });
    const asked = channel.request('slow', 1, { timeoutMs: LONG }).then(
      () => 'replied',
      (error: unknown) => error,
    );
    const refused = channel.request('refuse', 2, { timeoutMs: LONG }).then(
      () => 'replied',
      (error: unknown) => error,
    );
    await bothRan;
    const [old] = [...h.server.connections.values()];

    await cutAndResume();
    expect(await asked).toMatchObject({ code: 'disconnected' });
    expect(await refused).toMatchObject({ code: 'disconnected' });

    const errors: { code: unknown; connection: unknown }[] = [];
    const both = new Promise<void>((resolve) =>
      h.server.events.on('error', ({ error, connection }) => void (errors.push({ code: (error as { code?: unknown }).code, connection }) === 2 && resolve())),
    );
    reply.resolve('late');
    refusal.reject(Object.assign(new Error('too late'), { code: 'nope' }));
    await both;
    expect(errors).toEqual([
      { code: 'disconnected', connection: old },
      { code: 'disconnected', connection: old },
    ]);
    // The resumed connection still answers: a request made now gets its own reply.
    h.server.handle('echo', (payload) => payload);
    await expect(channel.request('echo', 'now', { timeoutMs: LONG })).resolves.toBe('now');
    expect(channel.stats()).toMatchObject({ pendingRequests: 0, protocolErrors: 0 });
  });
});
