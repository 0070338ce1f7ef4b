import { tracingChannel } from 'node:diagnostics_channel';
import { Cluster, Redis } from 'ioredis';
import { ChatError } from '../../server/core/errors';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { clusterClientOptions, type RedisClient, redisClientOptions } from '../../server/redis/client';
import { createRedisGameBroker } from '../../server/redis/game-broker';
import { createRedisSessionStore } from '../../server/redis/session-store';
import { UsageError } from '../../src/errors';
import { describeOnRedisBackends } from '../support/redis-backends';
import { waitFor } from '../support/wait';

/*
 * The Redis stores given a ready ioredis client (a Redis, a Sentinel-built Redis, a Cluster) instead of a URL
 * (SCALING.md, "Which Redis"): they subscribe on a duplicate() of it, and their close() quits that duplicate, takes
 * their listeners off the client and leaves the client open for its owner. A closed store writes nothing more through
 * the client it leaves open.
 */

jest.setTimeout(30_000);

/** The listeners a store may put on a client. */
const EVENTS = ['ready', 'error', 'close', 'message', 'messageBuffer'];
const listeners = (client: RedisClient) => EVENTS.map((event) => client.listenerCount(event));

describeOnRedisBackends('Redis stores given a client', (backend) => {
  const stores = {
    'chat store': (client: RedisClient) => createRedisChatStore({ client, prefix: 'injected' }),
    'session store': (client: RedisClient) => createRedisSessionStore({ client, prefix: 'injected' }),
    'game broker': (client: RedisClient) => createRedisGameBroker({ client, prefix: 'injected' }),
  };

  for (const [name, open] of Object.entries(stores)) {
    it(`the ${name} subscribes on a duplicate, and its close quits only that: the client stays open, without its listeners`, async () => {
      const client = backend.client();
      // Counted once ready: a Cluster client puts listeners of its own on itself while it connects.
      await waitFor('the client to be ready', (done) => {
        if (client.status === 'ready') done(undefined);
        client.once('ready', done);
        return () => void client.off('ready', done);
      });
      const before = listeners(client);
      const duplicate = jest.spyOn(client, 'duplicate');
      const store = await open(client);
      expect(duplicate).toHaveBeenCalledTimes(1);
      const subscriber = duplicate.mock.results[0]?.value as RedisClient;
      expect(subscriber.status).toBe('ready');
      expect(listeners(client)).not.toEqual(before);
      const ended = waitFor('the duplicate to end', (done) => {
        subscriber.once('end', done);
        return () => void subscriber.off('end', done);
      });
      await store.close();
      await ended;
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      expect(listeners(client)).toEqual(before);
    });
  }

  it('a closed store writes nothing more through the client it leaves open: each call is refused', async () => {
    const client = backend.client();
    const chat = await createRedisChatStore({ client, prefix: `closed${backend.kind.length}` });
    const sessions = await createRedisSessionStore({ client, prefix: `closed${backend.kind.length}` });
    await Promise.all([chat.close(), sessions.close()]);
    const say = chat.append('room', { ts: 1, from: 'p', body: 'b', mid: 'm' }, 'digest', { historySize: 10, dedupeSize: 10 });
    await expect(say).rejects.toThrow(ChatError);
    await expect(say).rejects.toMatchObject({ code: 'unavailable' });
    await expect(sessions.take('s1', 1000)).rejects.toMatchObject({ code: 'store_unavailable', message: 'the redis store is closed' });
    expect(await client.exists('ms:closed' + String(backend.kind.length) + ':room:{room}:id')).toBe(0);
  });

  it("every command a store sends is seen on ioredis's tracing channel, with its end or its error: what a latency metric needs", async () => {
    const channel = tracingChannel<string, { command: string; error?: Error }>('ioredis:command');
    const started: string[] = [];
    const ended: string[] = [];
    const failed: string[] = [];
    const handlers = {
      start: (context: { command: string }) => void started.push(context.command),
      asyncEnd: (context: { command: string }) => void ended.push(context.command),
      error: (context: { command: string }) => void failed.push(context.command),
      end: () => undefined,
      asyncStart: () => undefined,
    };
    channel.subscribe(handlers);
    try {
      const chat = await createRedisChatStore({ ...backend.target(), prefix: `traced${backend.kind.length}` });
      await chat.append('room', { ts: 1, from: 'p', body: 'b', mid: 'm' }, 'digest', { historySize: 10, dedupeSize: 10 });
      await chat.close();
    } finally {
      channel.unsubscribe(handlers);
    }
    // Each command ends or fails (a latency or an error to count); the message script is among them (EVALSHA, or EVAL
    // the first time a node meets it).
    const script = started.filter((command) => /^eval(sha)?$/.test(command));
    expect(script.length).toBeGreaterThanOrEqual(1);
    // (CLIENT SETINFO, sent by ioredis as a connection opens, is reported ended without a start.)
    const ours = (commands: string[]) => commands.filter((command) => command !== 'client').sort();
    expect(ours([...ended, ...failed])).toEqual(ours(started));
    expect(ended.some((command) => /^eval(sha)?$/.test(command))).toBe(true);
  });}, { kinds: ['single Redis', 'Redis Cluster', 'Redis Sentinel'] });

describe('the client a Redis store is given', () => {
  const made: RedisClient[] = [];
  const lazy = <T extends RedisClient>(client: T): T => {
    made.push(client);
    return client;
  };
  afterAll(() => {
    for (const client of made) client.disconnect();
  });

  it.each([
    ['both url and client', () => ({ url: 'redis://127.0.0.1:1', client: lazy(new Redis({ ...redisClientOptions, lazyConnect: true })) }), /url is invalid: give url or client, not both/],
    ['not an ioredis client', () => ({ client: { duplicate: () => undefined } as unknown as RedisClient }), /client is invalid: not an ioredis Redis or Cluster/],
    ['a Redis with an offline queue', () => ({ client: lazy(new Redis({ lazyConnect: true })) }), /client is invalid: it queues commands while Redis is away/],
    ['a Redis that resends cut commands', () => ({ client: lazy(new Redis({ lazyConnect: true, enableOfflineQueue: false })) }), /client is invalid: it resends cut commands/],
    ['a Cluster with an offline queue', () => ({ client: lazy(new Cluster([{ port: 1 }], { lazyConnect: true })) }), /client is invalid: it queues commands/],
    ['a Cluster whose nodes resend', () => ({ client: lazy(new Cluster([{ port: 1 }], { lazyConnect: true, enableOfflineQueue: false })) }), /client is invalid: it resends cut commands/],
  ])('%s: refused at once with invalid_option naming it', async (_name, target, message) => {
    for (const open of [createRedisChatStore, createRedisSessionStore, createRedisGameBroker]) {
      const opening = open({ ...target(), prefix: 'x' } as Parameters<typeof open>[0]);
      await expect(opening).rejects.toThrow(UsageError);
      await expect(opening).rejects.toMatchObject({ code: 'invalid_option', message: expect.stringMatching(message) as unknown });
    }
  });

  it('a closed client: refused, naming its status', async () => {
    const client = new Redis({ ...redisClientOptions, lazyConnect: true });
    client.disconnect();
    await expect(createRedisChatStore({ client })).rejects.toMatchObject({ code: 'invalid_option', message: expect.stringMatching(/client is invalid: it is closed \(status end\)/) as unknown });
    const cluster = lazy(new Cluster([{ port: 1 }], { ...clusterClientOptions, lazyConnect: true }));
    // Built as the stores ask: not refused for its options (it then waits for Redis, here for nobody, and times out).
    await expect(createRedisGameBroker({ client: cluster, connectTimeoutMs: 50 })).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});
