import { Cluster, Redis } from 'ioredis';
import { Changes, holds, waitFor } from './wait';

/*
 * Watches a test Redis through keyspace notifications, so that a test waits for the event that matters (a key
 * expired, a key deleted) instead of sleeping: `CONFIG SET notify-keyspace-events` then a subscription to the key-event
 * channels of db 0. On a Cluster every master is watched (a key's events come from the node that holds its slot).
 */

/** A key event: `expired`, `del`, ... and the key it happened to. */
interface KeyEvent {
  readonly event: string;
  readonly key: string;
}

/** A connection that records key events and answers plain commands (`redis`). */
export interface RedisWatch {
  /** For reading keys (TTL, fields) in assertions: a `Cluster` client when given several nodes. */
  readonly redis: Redis | Cluster;
  /** Every key event seen so far, in order. */
  readonly seen: readonly KeyEvent[];
  /** Resolves with the first event `event` on `key` (one already seen counts); rejects after `timeoutMs`. */
  until(event: string, key: string, timeoutMs?: number): Promise<KeyEvent>;
  close(): Promise<void>;
}

/**
 * Turns key-event notifications on (generic and expiry events) and starts recording them: on the Redis at `url`, or on
 * every node of a Cluster (`redis://host:port` of each master).
 */
export async function watchRedis(url: string | readonly string[]): Promise<RedisWatch> {
  const urls = typeof url === 'string' ? [url] : url;
  const redis = urls.length === 1 ? new Redis(urls[0] as string, { maxRetriesPerRequest: 1 }) : new Cluster(urls.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })));
  const subscribers = urls.map((u) => new Redis(u, { maxRetriesPerRequest: 1 }));
  const seen: KeyEvent[] = [];
  const changes = new Changes();
  let closed = false;
  for (const subscriber of subscribers) {
    await subscriber.config('SET', 'notify-keyspace-events', 'Egx');
    subscriber.on('pmessage', (_pattern: string, channel: string, key: string) => {
      seen.push({ event: channel.slice(channel.lastIndexOf(':') + 1), key });
      changes.notify();
    });
    await subscriber.psubscribe('__keyevent@0__:*');
  }
  return {
    redis,
    seen,
    until: async (event, key, timeoutMs = 20_000) => {
      const find = () => seen.find((e) => e.event === event && e.key === key);
      await waitFor(`a "${event}" event on ${key}`, holds(() => closed || find() !== undefined, changes), { timeoutMs });
      return find() ?? { event: 'closed', key };
    },
    close: async () => {
      closed = true;
      changes.notify();
      await Promise.all([redis.quit(), ...subscribers.map((subscriber) => subscriber.quit())]);
    },
  };
}
