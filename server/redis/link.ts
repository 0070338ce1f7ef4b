import { Redis, type RedisOptions } from 'ioredis';
import type { Emitter } from '../../src/emitter';

/*
 * What the server's Redis stores and broker (chat store, session store, game broker) share about their connections:
 * the options they all take, how they connect, how they wait for Redis at start, how they report that Redis is away
 * and back, how they let go.
 */

/** The options every Redis store and broker takes besides its own. */
export interface RedisLinkOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** How long opening the store or broker waits for Redis, ms. Default 10,000. */
  connectTimeoutMs: number;
}

/**
 * `options.prefix` (default `default`) once it and `options.url` are valid: a `redis://` or `rediss://` URL, and a
 * prefix that is not empty and holds no `{` or `}` (they would break the keys' hash tags).
 * @throws whatever `invalid` throws, given the name of the bad option and the bad value.
 */
export function checkedPrefix(options: { readonly url: unknown; readonly prefix?: string | undefined }, invalid: (name: string, shown: string) => never): string {
  if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) invalid('url', String(options.url));
  const prefix = options.prefix ?? 'default';
  if (prefix.length === 0 || /[{}]/.test(prefix)) invalid('prefix', prefix);
  return prefix;
}

/**
 * `store` once it is ready (within `connectTimeoutMs`, default 10,000); if it is not, the store is closed and the
 * rejection passed on.
 */
export async function opened<T>(store: T & Opening, connectTimeoutMs: number | undefined): Promise<T> {
  try {
    await store.ready(connectTimeoutMs ?? 10_000);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** What {@link opened} needs of a store or broker. */
interface Opening {
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

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
function connectPair(url: string): { commands: Redis; subscriber: Redis } {
  return { commands: new Redis(url, FAIL_FAST), subscriber: new Redis(url, { ...FAIL_FAST, autoResubscribe: true }) };
}

/**
 * The two connections of a store or broker, one for commands and one subscribed, with {@link FAIL_FAST}: the wait
 * for Redis at start and one close for both. `Commands` types the scripts the owner defines on `commands`.
 */
export class RedisLink<Commands extends object = object> {
  readonly commands: Redis & Commands;
  readonly subscriber: Redis;
  /** The first {@link close}, which every later one answers with. */
  private closing: Promise<void> | undefined;

  constructor(url: string) {
    const { commands, subscriber } = connectPair(url);
    this.commands = commands as Redis & Commands;
    this.subscriber = subscriber;
  }

  /** Both connections. */
  get connections(): readonly [Redis, Redis] {
    return [this.commands, this.subscriber];
  }

  /** True while both connections are ready. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Resolves once both connections are ready and `then` (a subscription, a first write) is done; rejects with
   * `late()` after `timeoutMs`.
   */
  whenReady(timeoutMs: number, late: () => Error, then?: () => Promise<unknown>): Promise<void> {
    return allReady(this.connections, timeoutMs, late, then);
  }

  /**
   * Runs `release` (what the owner lets go of first), then quits both connections. Once: a second quit() rejects,
   * and the disconnect() it would fall back to arms a timer that outlives the caller, so every later call answers
   * the first one (and runs nothing).
   */
  close(release?: () => unknown): Promise<void> {
    this.closing ??= (async () => {
      await release?.();
      await quitAll(this.connections);
    })();
    return this.closing;
  }
}

/** The events of a store or broker that say whether Redis can be reached. */
export interface AvailabilityEvents {
  unavailable: { error: Error };
  available: Record<string, never>;
}

/**
 * Whether Redis can be reached through a link, emitted on `events`: one `unavailable` per outage (ioredis reports
 * each failed attempt, the owner each failed command), then `available` once both connections are ready again.
 */
export class Availability {
  private down = false;
  private stopped = false;

  constructor(
    private readonly link: RedisLink,
    private readonly events: Emitter<AvailabilityEvents>,
  ) {
    for (const redis of link.connections) {
      redis.on('error', (error: Error) => this.lost(error));
      redis.on('ready', () => this.found());
    }
  }

  /** Redis could not be reached: emits `unavailable`, unless it already did for this outage. */
  lost(error: Error): void {
    if (this.down || this.stopped) return;
    this.down = true;
    this.events.emit('unavailable', { error });
  }

  /** Emits nothing from now on: the owner closed. */
  stop(): void {
    this.stopped = true;
  }

  private found(): void {
    if (!this.down || this.stopped || !this.link.ready) return;
    this.down = false;
    this.events.emit('available', {});
  }
}

/**
 * Resolves once every connection is ready and `then` is done; rejects with `late()` after `timeoutMs`.
 */
async function allReady(connections: readonly Redis[], timeoutMs: number, late: () => Error, then?: () => Promise<unknown>): Promise<void> {
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
async function quitAll(connections: readonly Redis[]): Promise<void> {
  await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
}
