import type { Emitter } from '../../src/emitter';
import { ServerError, ServerErrorCode } from '../core/errors';
import { checkedTarget, connectPair, type RedisClient, type RedisTarget } from './client';

/*
 * What the server's Redis stores and broker (chat store, session store, game broker) share about their connections:
 * the options they all take, how they connect, how they wait for Redis at start, how they report that Redis is away
 * and back, how they let go.
 */

/**
 * The option every Redis store and broker takes besides its own and its `RedisTarget` (`url` or `client`, in
 * server/redis/client.ts).
 */
export interface RedisLinkOptions {
  /** How long opening the store or broker waits for Redis, ms. Default 10,000. */
  connectTimeoutMs: number;
}

/**
 * The target (`url` or `client`) and `options.prefix` (default `default`) once they are valid: see
 * {@link checkedTarget}, and a prefix that is not empty and holds no `{` or `}` (they would break the keys' hash tags).
 * @throws whatever `invalid` throws, given the name of the bad option and the bad value.
 */
export function checkedOptions(
  options: { readonly url?: unknown; readonly client?: unknown; readonly prefix?: string | undefined },
  invalid: (name: string, shown: string) => never,
): { target: RedisTarget; prefix: string } {
  const target = checkedTarget(options, invalid);
  const prefix = options.prefix ?? 'default';
  if (prefix.length === 0 || /[{}]/.test(prefix)) invalid('prefix', prefix);
  return { target, prefix };
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

/** A listener of a connection's events. */
type Listener = Parameters<RedisClient['on']>[1];

/**
 * The two connections of a store or broker, one for commands and one subscribed: the wait for Redis at start, the
 * listeners put on them, and one close for both. `Commands` types the scripts the owner defines on `commands`.
 */
export class RedisLink<Commands extends object = object> {
  private readonly commandConnection: RedisClient & Commands;
  readonly subscriber: RedisClient;
  /** False for an injected client: its owner quits it. */
  private readonly owned: boolean;
  /** Every listener put on a connection through {@link listen}, taken off at {@link close}. */
  private readonly listeners: [RedisClient, string, Listener][] = [];
  /** The first {@link close}, which every later one answers with. */
  private closing: Promise<void> | undefined;

  constructor(target: RedisTarget) {
    const { commands, subscriber, owned } = connectPair(target);
    this.commandConnection = commands as RedisClient & Commands;
    this.subscriber = subscriber;
    this.owned = owned;
  }

  /**
   * The command connection.
   * @throws {ServerError} `store_unavailable` once {@link close} was called: an injected client stays open, and a
   * closed store must not go on writing through it.
   */
  get commands(): RedisClient & Commands {
    if (this.closing) throw new ServerError(ServerErrorCode.StoreUnavailable, 'the redis store is closed');
    return this.commandConnection;
  }

  /** Both connections. */
  get connections(): readonly [RedisClient, RedisClient] {
    return [this.commandConnection, this.subscriber];
  }

  /** True while both connections are ready. */
  get ready(): boolean {
    return this.commandConnection.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Listens to `event` of `connection` until {@link close}: an injected client outlives the store, and must not keep
   * the store's listeners (nor the store, through them).
   */
  listen(connection: RedisClient, event: string, listener: Listener): void {
    connection.on(event, listener);
    this.listeners.push([connection, event, listener]);
  }

  /**
   * Resolves once both connections are ready and `then` (a subscription, a first write) is done; rejects with
   * `late()` after `timeoutMs`.
   */
  whenReady(timeoutMs: number, late: () => Error, then?: () => Promise<unknown>): Promise<void> {
    return allReady(this.connections, timeoutMs, late, then);
  }

  /**
   * Runs `release` (what the owner lets go of first), takes its listeners off, then quits the subscriber, and the
   * command connection unless it was injected. Once: a second quit() rejects, and the disconnect() it would fall back
   * to arms a timer that outlives the caller, so every later call answers the first one (and runs nothing).
   */
  close(release?: () => unknown): Promise<void> {
    this.closing ??= (async () => {
      await release?.();
      for (const [connection, event, listener] of this.listeners.splice(0)) connection.off(event, listener);
      await quitAll(this.owned ? this.connections : [this.subscriber]);
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
      link.listen(redis, 'error', (error: Error) => this.lost(error));
      link.listen(redis, 'ready', () => this.found());
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
async function allReady(connections: readonly RedisClient[], timeoutMs: number, late: () => Error, then?: () => Promise<unknown>): Promise<void> {
  const one = (redis: RedisClient) => (redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', () => resolve())));
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
async function quitAll(connections: readonly RedisClient[]): Promise<void> {
  await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
}
