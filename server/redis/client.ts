import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/*
 * Which Redis a store or broker talks to: a URL (it connects and quits by itself) or a client its owner made and keeps
 * (a `Redis`, one built on Sentinel, or a `Cluster`). Either way the store subscribes on a connection of its own: a
 * connection in subscriber mode can run no other command, so an injected client gets a `duplicate()`, which ioredis
 * builds with the same options (the same startup nodes for a Cluster, the same sentinels for a Sentinel client).
 */

/** An ioredis client a store or broker can be given instead of a URL: a `Redis` (direct or Sentinel) or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * Where a store or broker finds Redis, one of:
 * - `url`: `redis://[user:password@]host:port[/db]` (or `rediss://`); the store connects (with
 *   {@link redisClientOptions}) and quits on `close()`.
 * - `client`: an ioredis client its owner made: a `Redis` (direct, or `new Redis({ sentinels, name })` for Sentinel)
 *   or a `Cluster`, built with {@link redisClientOptions} / {@link clusterClientOptions} (no offline queue, no
 *   resend). The store runs its commands on it and subscribes on a `duplicate()` of it; `close()` quits only that
 *   duplicate: the client is its owner's to quit.
 */
export type RedisTarget = { readonly url: string; readonly client?: undefined } | { readonly client: RedisClient; readonly url?: undefined };

/**
 * The connection options every Redis store and broker relies on, and the ones to build an injected `Redis` with
 * (`new Redis({ sentinels, name, ...redisClientOptions })`): fail fast and never resend, so that what Redis cannot take
 * now is refused now (the caller still holds it) and never runs later behind its back; reconnect by itself (50 ms x
 * attempt, at most 1 s).
 */
export const redisClientOptions: Readonly<RedisOptions> = Object.freeze({
  // 0, not 1: with 1, a command in flight when the link drops is never settled if the first reconnect succeeds
  // (ioredis swaps its command queue); with 0 every command in flight is rejected as the connection closes.
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  // A command cut by a lost connection was refused to its caller: it must not run later behind its back.
  autoResendUnfulfilledCommands: false,
  // quitAll() falls back to disconnect() on a connection that cannot quit (Redis away): ioredis then waits this long
  // for a stream that has often closed already, on a timer nothing clears, which kept the process alive 2 s.
  disconnectTimeout: 100,
  retryStrategy: (times: number) => Math.min(50 * times, 1000),
});

/**
 * The same for an injected `Cluster` (`new Cluster(nodes, clusterClientOptions)`): no offline queue on the cluster,
 * no resend on its node connections.
 */
export const clusterClientOptions: Readonly<ClusterOptions> = Object.freeze({
  enableOfflineQueue: false,
  clusterRetryStrategy: (times: number) => Math.min(50 * times, 1000),
  redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, disconnectTimeout: 100 },
});

/** A `Cluster` client starting from `nodes`, with {@link clusterClientOptions}; its owner quits it. */
export function createClusterClient(nodes: readonly { host: string; port: number }[]): Cluster {
  return new Cluster([...nodes], clusterClientOptions);
}

/**
 * `target` once it names Redis one way: a `redis://` or `rediss://` URL, or a client that can be used: not closed,
 * and built so that it neither queues commands while Redis is away nor resends a cut one (see
 * {@link redisClientOptions}): the stores' writes are ordered, and one that ran late would land after newer ones.
 * @throws whatever `invalid` throws, given the name of the bad option and why.
 */
export function checkedTarget(target: { readonly url?: unknown; readonly client?: unknown }, invalid: (name: string, shown: string) => never): RedisTarget {
  if (target.client === undefined) {
    if (typeof target.url !== 'string' || !/^rediss?:\/\//.test(target.url)) invalid('url', String(target.url));
    return { url: target.url };
  }
  if (target.url !== undefined) invalid('url', 'give url or client, not both');
  const client = target.client;
  if (!(client instanceof Redis) && !(client instanceof Cluster)) invalid('client', 'not an ioredis Redis or Cluster');
  if (client.status === 'end' || client.status === 'close') invalid('client', `it is closed (status ${client.status})`);
  const nodes = client instanceof Cluster ? client.options.redisOptions : client.options;
  if (client.options.enableOfflineQueue !== false) invalid('client', 'it queues commands while Redis is away: build it with enableOfflineQueue: false (redisClientOptions)');
  if (nodes?.autoResendUnfulfilledCommands !== false) invalid('client', 'it resends cut commands: build it with autoResendUnfulfilledCommands: false (redisClientOptions)');
  return { client };
}

/** A command connection (the injected client, or a new one), a subscriber connection, and whether both are ours to quit. */
export function connectPair(target: RedisTarget): { commands: RedisClient; subscriber: RedisClient; owned: boolean } {
  if (target.client === undefined) {
    return { commands: new Redis(target.url, redisClientOptions), subscriber: new Redis(target.url, { ...redisClientOptions, autoResubscribe: true }), owned: true };
  }
  const commands = target.client;
  const subscriber = commands instanceof Cluster ? commands.duplicate() : commands.duplicate();
  // A lazy client (status 'wait') would connect on its first command, which the store sends only once it is 'ready'.
  for (const client of [commands, subscriber]) if (client.status === 'wait') client.connect().catch(() => undefined);
  return { commands, subscriber, owned: false };
}
