/** What a channel does with a message sent while it is not open. */
export type OutboxPolicy = 'queue' | 'latest' | 'drop';

/** What a full outbox does with one more message. */
export type OverflowPolicy = 'drop-oldest' | 'reject';

/** Outbox settings of a channel. */
export interface OutboxOptions {
  /** Default policy of `send` while not open. Default `queue`. */
  policy: OutboxPolicy;
  /** Most messages held. Default 1,000. */
  maxCount: number;
  /** Most encoded bytes held. Default 1 MiB. */
  maxBytes: number;
  /** When full: evict the oldest message, or refuse the new one. Default `drop-oldest`. */
  overflow: OverflowPolicy;
}

/** Defaults of {@link OutboxOptions}. */
export const DEFAULT_OUTBOX: Readonly<OutboxOptions> = Object.freeze({
  policy: 'queue',
  maxCount: 1000,
  maxBytes: 1024 * 1024,
  overflow: 'drop-oldest',
});

/** Why a message left the outbox without being sent. */
export type DropReason =
  /** The outbox was full (evicted the oldest, or refused the newest). */
  | 'overflow'
  /** Sent with policy `drop` while not open. */
  | 'not_open'
  /** Waited longer than its `ttlMs`. */
  | 'expired'
  /** A newer message with the same topic replaced it (policy `latest`). */
  | 'replaced'
  /** Larger than the whole outbox. */
  | 'too_large'
  /**
   * The connection it was meant for dropped: batched, it never left; or it answers a server REQUEST that came on a
   * connection lost before the application's handler answered (the server already failed that request).
   */
  | 'disconnected'
  /** The channel closed with it still waiting. */
  | 'closed';

/** One held message: its encoded frame and what is needed to account for it. */
export interface OutboxEntry {
  readonly topic: string;
  readonly bytes: Uint8Array;
  /** Set for `latest`: a newer entry with the same key replaces this one. */
  readonly key: string | undefined;
  /** Absolute time after which the entry is stale and dropped instead of sent, or undefined. */
  readonly expiresAt: number | undefined;
  /** Called when the entry is dropped rather than sent (a queued request rejects through it). */
  readonly onDrop: ((reason: DropReason) => void) | undefined;
  /** Called when the entry leaves in a message (a queued request is then in flight). */
  onSent: (() => void) | undefined;
}

/**
 * The bounded FIFO of frames waiting for the connection to open. Bounded by count and by bytes; `latest` entries
 * replace an older entry with the same key in place (so stale game state is never replayed), and expired entries are
 * dropped at flush. Every drop is reported to the owner, never silent.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private bytes = 0;

  constructor(
    private readonly options: Readonly<OutboxOptions>,
    private readonly dropped: (entry: OutboxEntry, reason: DropReason) => void,
  ) {}

  get count(): number {
    return this.entries.length;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Holds `entry`; returns false if it was refused (and reported). */
  add(entry: OutboxEntry): boolean {
    if (entry.bytes.byteLength > this.options.maxBytes) {
      this.drop(entry, 'too_large');
      return false;
    }
    if (entry.key !== undefined) {
      const i = this.entries.findIndex((e) => e.key === entry.key);
      if (i !== -1) {
        const old = this.entries[i] as OutboxEntry;
        this.entries.splice(i, 1);
        this.bytes -= old.bytes.byteLength;
        this.drop(old, 'replaced');
      }
    }
    while (this.entries.length >= this.options.maxCount || this.bytes + entry.bytes.byteLength > this.options.maxBytes) {
      if (this.options.overflow === 'reject' || this.entries.length === 0) {
        this.drop(entry, 'overflow');
        return false;
      }
      const oldest = this.entries.shift() as OutboxEntry;
      this.bytes -= oldest.bytes.byteLength;
      this.drop(oldest, 'overflow');
    }
    this.entries.push(entry);
    this.bytes += entry.bytes.byteLength;
    return true;
  }

  /** Removes one entry without reporting it (its owner withdrew it, e.g. a request that timed out). */
  withdraw(entry: OutboxEntry): boolean {
    const i = this.entries.indexOf(entry);
    if (i === -1) return false;
    this.entries.splice(i, 1);
    this.bytes -= entry.bytes.byteLength;
    return true;
  }

  /**
   * Takes the entries in order, dropping (and reporting) those expired at `now`; with `maxBytes`, stops before the first
   * live entry that would take the total over it (the rest stay, in order).
   */
  drain(now: number, maxBytes = Infinity): OutboxEntry[] {
    const live: OutboxEntry[] = [];
    let taken = 0;
    let bytes = 0;
    for (const entry of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.drop(entry, 'expired');
      } else if (bytes + entry.bytes.byteLength > maxBytes) {
        break;
      } else {
        bytes += entry.bytes.byteLength;
        live.push(entry);
      }
      taken++;
    }
    for (const entry of this.entries.splice(0, taken)) this.bytes -= entry.bytes.byteLength;
    return live;
  }

  /** Drops everything, reporting each with `reason`. */
  clear(reason: DropReason): void {
    const taken = this.entries;
    this.entries = [];
    this.bytes = 0;
    for (const entry of taken) this.drop(entry, reason);
  }

  private drop(entry: OutboxEntry, reason: DropReason): void {
    this.dropped(entry, reason);
    entry.onDrop?.(reason);
  }
}
