import { ChatError, ChatErrorCode } from '../core/errors';

/** One chat message as `room/<room>/message` carries it and `chat/history` returns it. */
export interface StoredChatMessage {
  /**
   * Assigned by the server; strictly increasing within a room, and never going back, even across a server that kept
   * nothing or a room that expired (see {@link chatIdBase}).
   */
  readonly id: number;
  /** Server clock time when it was accepted, ms. */
  readonly ts: number;
  /** Who said it: the chat module's `from(session)`, by default the session's `publicId` (never its session id). */
  readonly from: unknown;
  readonly body: unknown;
  /** The sender's message id, unique in the room, which dedupes a message sent again (with the same body). */
  readonly mid: string;
}

/** The bounds of a room's memory. */
export interface RoomLimits {
  /** Messages kept for `chat/history`. */
  readonly historySize: number;
  /** Recent `mid`s remembered, to answer a repeated one with the first answer. */
  readonly dedupeSize: number;
}

/**
 * Where a new run of chat ids starts (a process's, in memory, or a room's, on Redis): the time in microseconds
 * (`nowMs` × 1000). A room that starts afresh (its server restarted without a store, its Redis keys expired) thus
 * numbers above every id it gave before, provided the earlier run gave fewer than a million ids a second on average,
 * so a client's "delivered up to" baseline never hides a new message. A new room reports this base as its `lastId`
 * and `evictedUpTo`: everything below it is gone, which tells a client coming back from the earlier run what it missed.
 * Safe integers until the year 2255.
 */
export function chatIdBase(nowMs: number = Date.now()): number {
  return Math.floor(nowMs) * 1000;
}

/**
 * One room's memory: the last `historySize` messages (a ring, oldest first) and the recent `mid`s, both bounded. The
 * in-memory chat store keeps it for `roomTtlMs` after the room's last member leaves.
 */
export class ChatRoom {
  private readonly ring: StoredChatMessage[] = [];
  /** Index of the oldest message in `ring` once it is full. */
  private start = 0;
  /** Each remembered `mid`'s message and its body's digest (`bodyDigest`). */
  private readonly mids = new Map<string, { readonly message: StoredChatMessage; readonly digest: string }>();
  private last: number;
  private evicted: number;

  /** @param base the id below the room's first: its `lastId` and `evictedUpTo` until it has messages. */
  constructor(base: number) {
    this.last = base;
    this.evicted = base;
  }

  /** The id of the last message accepted (the base before the first). */
  get lastId(): number {
    return this.last;
  }

  /** The id of the newest message that fell out of the history (the base while none has): older ones cannot be fetched. */
  get evictedUpTo(): number {
    return this.evicted;
  }

  /**
   * The message an earlier `chat/say` with this `mid` and a body of this `digest` produced, while it is remembered.
   * @throws {ChatError} `mid_conflict` when the `mid` is remembered with another digest.
   */
  said(mid: string, digest: string): StoredChatMessage | undefined {
    const earlier = this.mids.get(mid);
    if (earlier && earlier.digest !== digest) throw midConflict(mid);
    return earlier?.message;
  }

  /** Keeps `message`, whose body has `digest`, within `limits`. */
  add(message: StoredChatMessage, digest: string, limits: RoomLimits): void {
    this.last = message.id;
    const { historySize, dedupeSize } = limits;
    if (historySize === 0) this.evicted = message.id;
    if (historySize > 0) {
      if (this.ring.length < historySize) {
        this.ring.push(message);
      } else {
        this.evicted = (this.ring[this.start] as StoredChatMessage).id;
        this.ring[this.start] = message;
        this.start = (this.start + 1) % historySize;
      }
    }
    if (dedupeSize > 0) {
      this.mids.set(message.mid, { message, digest });
      // A Map iterates in insertion order: the first key is the oldest.
      if (this.mids.size > dedupeSize) this.mids.delete(this.mids.keys().next().value as string);
    }
  }

  /** Up to `limit` of the kept messages with `id < before`, oldest first: the newest such ones. */
  page(before: number, limit: number): StoredChatMessage[] {
    // Ids grow along the ring, so the first message at or past `before` is found by bisection.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).id < before) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredChatMessage[] = [];
    for (let i = Math.max(0, lo - limit); i < lo; i++) out.push(this.at(i));
    return out;
  }

  /** The `i`-th kept message, oldest first. */
  private at(i: number): StoredChatMessage {
    return this.ring[(this.start + i) % this.ring.length] as StoredChatMessage;
  }
}

/** The refusal of a say whose `mid` the room remembers with another body: both stores word it alike. */
export function midConflict(mid: string): ChatError {
  return new ChatError(ChatErrorCode.MidConflict, `mid ${JSON.stringify(mid)} was said in this room with another body: use a new mid`);
}
