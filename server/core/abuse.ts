import type { Clock } from '../../src/time/clock';

/*
 * Limits that keep one abusive client from hurting the others: per-connection token buckets for messages and bytes
 * (on the server's injected clock, so tests are exact), and a cap on live sockets per remote address.
 */

/** Per-connection flood limits; a client over either rate gets BYE 4002 (`rate_limited`: retryable, with backoff). */
export interface RateLimitOptions {
  /** Sustained WebSocket messages per second one connection may send. Default 1,000. */
  messagesPerSecond: number;
  /** Messages one connection may send at once (the bucket's size). Default 2,000. */
  messageBurst: number;
  /** Sustained bytes per second one connection may send. Default 4 MiB. */
  bytesPerSecond: number;
  /** Bytes one connection may send at once (the bucket's size); at least `maxPayload`. Default: 4 × `maxPayload`. */
  byteBurst: number;
}

/** Which limit a client went over. */
export type LimitName = 'messagesPerSecond' | 'bytesPerSecond' | 'maxConnectionsPerAddress' | 'maxBufferedBytes';

/** The defaults of {@link RateLimitOptions} for a server whose `maxPayload` is `maxPayload`. */
export function defaultRateLimit(maxPayload: number): RateLimitOptions {
  return { messagesPerSecond: 1_000, messageBurst: 2_000, bytesPerSecond: 4 * 1024 * 1024, byteBurst: 4 * maxPayload };
}

/** A token bucket: `rate` tokens a second, at most `size`, starting full. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly size: number, now: number) {
    this.tokens = size;
    this.last = now;
  }

  /** Takes `n` tokens if there are that many at `now`; false (taking none) otherwise. */
  take(n: number, now: number): boolean {
    // A clock that goes backwards (a manual one reset, a wall clock stepped) refills nothing rather than draining.
    if (now > this.last) {
      this.tokens = Math.min(this.size, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** The message and byte buckets of one connection. */
export class FloodGuard {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(limits: Readonly<RateLimitOptions>, private readonly clock: Clock) {
    const now = clock.now();
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  }

  /** Counts one message of `size` bytes; returns the limit it went over, or undefined. */
  admit(size: number): LimitName | undefined {
    const now = this.clock.now();
    if (!this.messages.take(1, now)) return 'messagesPerSecond';
    if (!this.bytes.take(size, now)) return 'bytesPerSecond';
    return undefined;
  }
}

/** What {@link AddressLimiter} needs of a socket: to hear when it closes. */
export interface ClosableSocket {
  once(event: 'close', listener: () => void): unknown;
}

/** Counts live sockets per remote address and refuses one more than `max`. */
export class AddressLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * Counts `socket` against `address` until the socket closes, or returns false (counting nothing) when the address
   * already holds `max`. Counting TCP sockets rather than WebSocket connections frees the slot however the socket
   * ends, even if its upgrade never completes.
   */
  admit(address: string, socket: ClosableSocket): boolean {
    const count = this.counts.get(address) ?? 0;
    if (count >= this.max) return false;
    this.counts.set(address, count + 1);
    socket.once('close', () => {
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left > 0) this.counts.set(address, left);
      else this.counts.delete(address);
    });
    return true;
  }

  /** Live sockets counted for `address`. */
  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /** Addresses with at least one live socket (0 once every socket has closed). */
  get addresses(): number {
    return this.counts.size;
  }
}
