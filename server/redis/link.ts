import { Redis, type RedisOptions } from 'ioredis';

/*
 * What the server's Redis stores and broker (chat store, session store, game broker) share about their connections:
 * how they connect, how they wait for Redis at start, how they let go.
 */

/**
 * The connection options of every Redis store and broker of the server: fail fast and never resend, so that what
 * Redis cannot take now is refused now (the caller still holds it) and never runs later behind its back; reconnect by
 * itself (50 ms x attempt, at most 1 s).
 */
const FAIL_FAST: Readonly<RedisOptions> = Object.freeze({
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

/** A command connection and a subscriber connection to `url`, with {@link FAIL_FAST}. */
export function connectPair(url: string): { commands: Redis; subscriber: Redis } {
  return { commands: new Redis(url, FAIL_FAST), subscriber: new Redis(url, { ...FAIL_FAST, autoResubscribe: true }) };
}

/**
 * Resolves once every connection is ready and `then` (a subscription, a first write) is done; rejects with
 * `late()` after `timeoutMs`.
 */
export async function allReady(connections: readonly Redis[], timeoutMs: number, late: () => Error, then?: () => Promise<unknown>): Promise<void> {
  const one = (redis: Redis) => (redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', () => resolve())));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), timeoutMs);
  });
  const ready = Promise.all(connections.map(one)).then(() => then?.());
  // Observed at once: the race may have been lost already when it settles.
  ready.catch(() => undefined);
  try {
    await Promise.race([ready, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quits every connection, falling back to disconnect() for one that cannot quit (Redis away). Call it once. */
export async function quitAll(connections: readonly Redis[]): Promise<void> {
  await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
}

/** `store` once `ready` resolved; if it rejects, the store is closed and the rejection passed on. */
export async function openedWhen<T extends { close(): Promise<void> }>(store: T, ready: Promise<void>): Promise<T> {
  try {
    await ready;
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
