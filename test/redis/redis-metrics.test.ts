import { Redis } from 'ioredis';
import { createServer, type ReferenceServer } from '../../server';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { httpGet } from '../support/http-get';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { watchRedis } from '../support/redis-watch';
import { sample } from '../support/prometheus';

/*
 * The metrics that need Redis: command latency and errors (from ioredis' tracing channel, every client of the
 * process), and the handoff of a session to another process sharing the session store.
 */

jest.setTimeout(30_000);

describeWithRedis('metrics with Redis', () => {
  let redis: RedisServer;
  redisServerPerSuite((started) => (redis = started));
  const closing: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  async function server(options: { metrics: boolean; sessionStore?: SharedSessionStore }): Promise<{ server: ReferenceServer; base: string; url: string }> {
    const created = createServer({ port: 0, ...options });
    const { port, url } = await created.listen();
    closing.push(() => created.close());
    return { server: created, base: `http://127.0.0.1:${port}`, url };
  }

  it('times every Redis command by command and counts the failed ones', async () => {
    const { base } = await server({ metrics: true });
    const client = new Redis(redis.url);
    closing.push(() => client.quit());
    for (let i = 0; i < 5; i++) await client.echo(`hello ${i}`);
    await client.set('metrics:text', 'not a number');
    // Two error replies (WRONGTYPE-like: the value is not an integer).
    await expect(client.incr('metrics:text')).rejects.toThrow(/not an integer/);
    await expect(client.incr('metrics:text')).rejects.toThrow(/not an integer/);

    const text = (await httpGet(`${base}/metrics`)).body;
    expect(sample(text, 'multisocket_redis_command_duration_seconds_count', { command: 'echo' })).toBe(5);
    expect(sample(text, 'multisocket_redis_command_duration_seconds_bucket', { command: 'echo', le: '+Inf' })).toBe(5);
    expect(sample(text, 'multisocket_redis_command_duration_seconds_sum', { command: 'echo' })).toBeGreaterThan(0);
    expect(sample(text, 'multisocket_redis_command_errors_total', { command: 'incr' })).toBe(2);
    expect(sample(text, 'multisocket_redis_command_errors_total', { command: 'echo' })).toBeUndefined();
  });

  it('stops measuring when its server closes', async () => {
    const { server: closed } = await server({ metrics: true });
    const client = new Redis(redis.url);
    closing.push(() => client.quit());
    await client.echo('before');
    const registry = closed.metrics;
    await closed.close();
    await client.echo('after');
    expect(sample(await (registry as NonNullable<typeof registry>).metrics(), 'multisocket_redis_command_duration_seconds_count', { command: 'echo' })).toBe(1);
  });

  it('counts a session handed to another process', async () => {
    const prefix = `handoff${Date.now()}`;
    const storeA = await createRedisSessionStore({ url: redis.url, prefix });
    const storeB = await createRedisSessionStore({ url: redis.url, prefix });
    closing.push(() => storeA.close(), () => storeB.close());
    const a = await server({ metrics: true, sessionStore: storeA });
    const b = await server({ metrics: false, sessionStore: storeB });

    const first = await ProtocolClient.connect(a.url);
    closing.push(() => first.close());
    const watch = await watchRedis(redis.url);
    closing.push(() => watch.close());
    const welcome = await first.hello({ channel: 'chat' });
    // Written through to Redis (the write script sets the hash's expiry) before another process asks for it.
    await watch.until('expire', `ms:${prefix}:session:{${welcome.session}}`);
    const moved = nextEvent(a.server.events, 'sessionEnd');
    const second = await ProtocolClient.connect(b.url);
    closing.push(() => second.close());
    expect((await second.hello({ channel: 'chat', session: welcome.session, recv: 0 })).resumed).toBe(true);
    expect(await moved).toMatchObject({ reason: 'moved' });

    const text = (await httpGet(`${a.base}/metrics`)).body;
    expect(sample(text, 'multisocket_handoffs_total')).toBe(1);
    expect(sample(text, 'multisocket_sessions', { channel: 'chat' })).toBeUndefined();
  });
});
