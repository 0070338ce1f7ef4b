import { Cluster, Redis } from 'ioredis';
import { type RedisClient, type RedisTarget, redisClientOptions } from '../../server/redis/client';
import { type RedisCluster, startRedisCluster } from './redis-cluster';
import { type RedisSentinel, startRedisSentinel } from './redis-sentinel';
import { type RedisServer, startRedisServer } from './redis-server';
import { describeWithRedis } from './redis-suite';

// Jest-only: one suite body run on each Redis the stores support (SCALING.md, "Which Redis").

/** The Redis a suite runs on. */
type RedisBackendKind = 'single Redis' | 'Redis Cluster' | 'Redis Sentinel';

/** What a test needs of the Redis it runs on, whichever it is. */
export interface RedisBackend {
  readonly kind: RedisBackendKind;
  /**
   * The single redis-server (to stop, start, or put a proxy in front of). Only in tests registered with `singleOnly`.
   * @throws on a Cluster.
   */
  readonly server: RedisServer;
  /**
   * What a store is given: the server's URL, or a new client (one per call, as each process has its own): a `Cluster`,
   * or a `Redis` that asks the Sentinel for its master.
   */
  target(): RedisTarget;
  /** A new client with the stores' options (`redisClientOptions`, `clusterClientOptions`), to inject. */
  client(): RedisClient;
  /**
   * What a child process (the built CLI, a session node) gets in its environment: REDIS_URL or REDIS_CLUSTER (behind
   * a Sentinel, the master's URL: the CLI has no Sentinel flag).
   */
  env(): Record<string, string>;
  /** A client for the test's own reads and writes of keys, with default options (it waits for Redis). */
  peek(): RedisClient;
  /** `redis://host:port` of the server, or of every master of the Cluster (for `watchRedis`). */
  urls(): string[];
}

/** Registers a test only on the single Redis (it stops Redis, or cuts one process's link to it through a proxy). */
export type SingleOnly = (name: string, fn: () => Promise<unknown>, timeoutMs?: number) => void;

/** The backends a suite runs on unless it names others. */
const KINDS: readonly RedisBackendKind[] = ['single Redis', 'Redis Cluster'];

/**
 * `body` once per backend (`kinds`, default a single Redis and a Cluster), each in a describe `<title>, on <kind>`
 * that starts that Redis before its tests (a redis-server with `durable`, default true; a three-master Cluster; a
 * redis-server and a Sentinel watching it) and stops it after them, quitting every client `target()`, `client()` and
 * `peek()` made. `singleOnly` registers a test on the single Redis alone.
 */
export function describeOnRedisBackends(
  title: string,
  body: (backend: RedisBackend, singleOnly: SingleOnly) => void,
  options: { durable?: boolean; kinds?: readonly RedisBackendKind[] } = {},
): void {
  for (const kind of options.kinds ?? KINDS) {
    describeWithRedis(`${title}, on ${kind}`, () => {
      let server: RedisServer | undefined;
      let cluster: RedisCluster | undefined;
      let sentinel: RedisSentinel | undefined;
      const clients: RedisClient[] = [];
      const made = <T extends RedisClient>(client: T): T => {
        clients.push(client);
        return client;
      };
      beforeAll(async () => {
        if (kind === 'Redis Cluster') cluster = await startRedisCluster();
        else server = await startRedisServer(options);
        if (kind === 'Redis Sentinel') sentinel = await startRedisSentinel((server as RedisServer).port);
      }, 30_000);
      const backend: RedisBackend = {
        kind,
        get server() {
          if (!server || kind !== 'single Redis') throw new Error(`no single redis-server on ${kind}: register the test with singleOnly`);
          return server;
        },
        target: () => (cluster || sentinel ? { client: backend.client() } : { url: (server as RedisServer).url }),
        client: () => {
          if (cluster) return made(cluster.client());
          if (sentinel) return made(new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: sentinel.name, ...redisClientOptions }));
          return made(new Redis((server as RedisServer).url, redisClientOptions));
        },
        env: (): Record<string, string> => (cluster ? { REDIS_CLUSTER: cluster.spec } : { REDIS_URL: (server as RedisServer).url }),
        peek: () => made(cluster ? peekCluster(cluster) : new Redis((server as RedisServer).url, { maxRetriesPerRequest: 1, disconnectTimeout: 50 })),
        urls: () => (cluster ? cluster.nodes.map((node) => node.url) : [(server as RedisServer).url]),
      };
      body(backend, (name, fn, timeoutMs) => {
        if (kind === 'single Redis') it(name, fn, timeoutMs);
      });
      // After the body's own hooks: its stores close before the clients they were given.
      afterAll(async () => {
        await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
        await sentinel?.close();
        await server?.close();
        await cluster?.close();
      });
    });
  }
}

/** A default-options `Cluster` client on `cluster`'s nodes (it queues until the slots are known). */
function peekCluster(cluster: RedisCluster): Cluster {
  return new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })));
}
