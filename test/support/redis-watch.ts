import { Redis } from 'ioredis';
import { Changes, holds, waitFor } from './wait';

/*
 * Watches a test Redis through keyspace notifications, so that a test waits for the event that matters (a key
 * expired, a key deleted) instead of sleeping: `CONFIG SET notify-keyspace-events` then a subscription to the key-event
 * channels of db 0.
 */

/** A key event: `expired`, `del`, ... and the key it happened to. */
interface KeyEvent {
  readonly event: string;
  readonly key: string;
}

/** A connection that records key events and answers plain commands (`redis`). */
export interface RedisWatch {
  /** For reading keys (TTL, fields) in assertions. */
  readonly redis: Redis;
  /** Every key event seen so far, in order. */
  readonly seen: readonly KeyEvent[];
  /** Resolves with the first event `event` on `key` (one already seen counts); rejects after `timeoutMs`. */
  until(event: string, key: string, timeoutMs?: number): Promise<KeyEvent>;
  close(): Promise<void>;
}

/** Turns key-event notifications on (generic and expiry events) and starts recording them. */
export async function watchRedis(url: string): Promise<RedisWatch> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(url, { maxRetriesPerRequest: 1 });
  await redis.config('SET', 'notify-keyspace-events', 'Egx');
  const seen: KeyEvent[] = [];
  const changes = new Changes();
  let closed = false;
  subscriber.on('pmessage', (_pattern: string, channel: string, key: string) => {
    seen.push({ event: channel.slice(channel.lastIndexOf(':') + 1), key });
    changes.notify();
  });
  await subscriber.psubscribe('__keyevent@0__:*');
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
      await Promise.all([redis.quit(), subscriber.quit()]);
    },
  };
}
