import WebSocket from 'ws';
import { createServer, type ReferenceServer, type ServerSession } from '../../server';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { ConnectionManager, webSocketTransport } from '../../src';
import { next, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import { type RedisServer, startRedisServer } from '../support/redis-server';
import { describeWithRedis } from '../support/redis-suite';
import { Changes, holds, waitFor } from '../support/wait';

/*
 * Sessions on Redis while Redis is away (issue 8, SCALING.md "Redis unreachable"): the server reports it, lets no
 * ACK or frame out that Redis does not hold, closes the client with a retryable code and refuses its resumes until
 * Redis is back; then the client resumes its session and every RELIABLE message, both ways, is applied once, in order.
 */

jest.setTimeout(60_000);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describeWithRedis('sessions on Redis while Redis is restarted', () => {
  let redis: RedisServer | undefined;
  let store: SharedSessionStore | undefined;
  let server: ReferenceServer | undefined;
  let manager: ConnectionManager | undefined;

  afterEach(async () => {
    manager?.close();
    await server?.close();
    await store?.close();
    await redis?.close();
  });

  it('the client is closed retryably, keeps what was not stored, and resumes its session once Redis is back: each message once, in order, both ways', async () => {
    redis = await startRedisServer();
    store = await createRedisSessionStore({ url: redis.url, prefix: 'outage' });
    server = createServer({ port: 0, sessionStore: store });
    const up: number[] = [];
    const sessions: ServerSession[] = [];
    const errors: Error[] = [];
    server.on('echo', (payload, ctx) => {
      up.push(payload as number);
      ctx.session.sendReliable('echo', payload);
    });
    server.events.on('connection', ({ session }) => void sessions.push(session));
    server.events.on('error', ({ error }) => void errors.push(error));
    const { port } = await server.listen();

    manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0.5 });
    const channel = manager.open('raw', { url: `ws://127.0.0.1:${port}/raw`, reconnect: { baseMs: 20, maxMs: 100 } });
    const got: { echo: number[]; down: number[] } = { echo: [], down: [] };
    const changes = new Changes();
    const until = (check: () => boolean) => waitFor(String(check), holds(check, changes), { detail: () => ({ ...got, opens, retries }) });
    channel.subscribe('echo', (payload) => {
      got.echo.push(payload as number);
      changes.notify();
    });
    channel.subscribe('down', (payload) => {
      got.down.push(payload as number);
      changes.notify();
    });
    const opens: boolean[] = [];
    channel.on('open', ({ resumed }) => {
      opens.push(resumed);
      changes.notify();
    });
    const resyncs: unknown[] = [];
    channel.on('resync', (event) => void resyncs.push(event));
    const retries: { code?: number; delayMs: number }[] = [];
    channel.on('reconnecting', ({ code, delayMs }) => {
      retries.push({ code, delayMs });
      changes.notify();
    });
    await reach(channel, 'open');

    // Before the outage: a normal reliable exchange.
    const acked: Promise<void>[] = [];
    let ackedCount = 0;
    const refused: unknown[] = [];
    const send = (from: number, to: number) =>
      acked.push(...range(from, to).map((n) => channel.sendReliable('echo', n).then(() => void ackedCount++, (err: unknown) => void refused.push(err))));
    send(0, 10);
    await until(() => got.echo.length === 10);
    await Promise.all(acked);
    expect(ackedCount).toBe(10);

    // Redis goes away; the client keeps sending: the server applies what comes before its write fails.
    await redis.stop();
    send(10, 20);
    await until(() => retries.length >= 1);
    // The server keeps sending to the session while its client is away.
    const session = sessions[0] as ServerSession;
    for (let n = 0; n < 5; n++) session.sendReliable('down', n);
    // Closed with a retryable code, then its resumes refused (retryably) again and again while Redis is away.
    await until(() => retries.length >= 3 || opens.length > 1);
    // Not a new session while the stored one is out of reach: that would lose or repeat what it holds.
    expect(opens).toEqual([false]);
    expect(retries.every((r) => r.code !== undefined && r.code >= 4000 && r.code <= 4099 && r.delayMs > 0)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as { code?: unknown }).code === 'store_unavailable')).toBe(true);
    // Nothing was acknowledged that Redis did not store, nor sent: the client still holds all ten to send again.
    expect(ackedCount).toBe(10);
    expect(channel.stats().unacked).toBe(10);
    expect(got.echo).toEqual(range(0, 10));
    expect(got.down).toEqual([]);
    // It applied at least the first of them (its write is what failed), each once and in order; the store lacks it.
    expect(up.length).toBeGreaterThan(10);
    expect(up).toEqual(range(0, up.length));

    // Redis is back: the client resumes its session and everything arrives, once, in order.
    const resumed = next(channel, 'open');
    await redis.start();
    expect((await resumed).resumed).toBe(true);
    send(20, 25);
    await Promise.all(acked);
    await until(() => got.echo.length >= 25 && got.down.length >= 5);
    expect(refused).toEqual([]);
    expect(ackedCount).toBe(25);
    expect(up).toEqual(range(0, 25));
    expect(got.echo).toEqual(range(0, 25));
    expect(got.down).toEqual(range(0, 5));
    expect(opens[0]).toBe(false);
    expect(opens.slice(1).every((r) => r)).toBe(true);
    expect(resyncs).toEqual([]);
    expect(server.sessions.size).toBe(1);

    const closed = reach(channel, 'closed');
    manager.close();
    await closed;
  });
});
