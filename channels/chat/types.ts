import type { BackoffOptions, Channel, ConnectionManager, OpenOptions } from '../../src';

// The chat preset's public shapes: what `chatChannel` takes, gives and emits.

/** A room id as the server knows it. */
export type RoomId = string | number;

/** One chat message as delivered to `onMessage`. */
export interface ChatMessage<B = unknown> {
  readonly room: RoomId;
  /** Server-assigned, strictly increasing within the room. */
  readonly id: number;
  /** Server time, ms. */
  readonly ts: number;
  /**
   * Who said it, as the server's chat module names senders: on the reference server the sender session's public id
   * (its `from` option can name them otherwise), never its session id, which is the secret that resumes the session.
   * A sender that lost its session and came back has a new one.
   */
  readonly from: string;
  readonly body: B;
  /** The client message id the sender chose. */
  readonly mid: string;
}

/** What `say` resolves with. */
export interface Said {
  readonly room: RoomId;
  readonly id: number;
  readonly ts: number;
  readonly mid: string;
}

/** Events of the chat preset. */
export interface ChatEvents {
  /**
   * Messages in `room` between `afterId` and `beforeId` could not be recovered (older than the server's history).
   * `beforeId` is Infinity when the room's history started again (a new server without the old one's state): ids
   * start afresh there, and whatever the old server held after `afterId` that had not arrived is lost.
   */
  missed: { room: RoomId; afterId: number; beforeId: number };
  /** A resync finished: every joined room was re-joined and caught up from history. */
  resynced: { rooms: RoomId[] };
  error: Error;
}

/** Options of {@link chatChannel}; any channel option may be given too. */
export interface ChatOptions extends Partial<OpenOptions> {
  manager: ConnectionManager;
  url: string;
  /** Channel name. Default `chat`. */
  name?: string;
  /** Messages fetched per history page during a resync. Default 200. */
  historyPageSize?: number;
  /** Timeout of join, leave and history requests, ms. Default 10,000. */
  requestTimeoutMs?: number;
  /**
   * How a `say` the server refused as `unavailable` (its shared chat store, e.g. Redis, cannot be reached; nothing was
   * stored) is sent again: with the same `mid`, so a message stored though its answer was lost is stored once, after
   * a full-jitter backoff delay (`baseMs` growing by `factor` up to `maxMs`, on the channel's clock and random
   * source), for at most `limitMs` after the first refusal; then `say` rejects with that `RemoteError` `unavailable`.
   * Default `{ baseMs: 200, factor: 2, maxMs: 5_000, limitMs: 60_000 }`; `limitMs: 0` rejects at the first refusal.
   */
  sayRetry?: Partial<SayRetryOptions>;
}

/** How a `say` refused as `unavailable` is retried; see {@link ChatOptions.sayRetry}. */
export interface SayRetryOptions extends BackoffOptions {
  /** Longest time after the first refusal a retry may still be sent, ms. */
  limitMs: number;
}

/** Defaults of {@link ChatOptions.sayRetry}. */
export const DEFAULT_SAY_RETRY: Readonly<SayRetryOptions> = Object.freeze({ baseMs: 200, factor: 2, maxMs: 5_000, limitMs: 60_000 });

/** The answer of {@link ChatChannel.presence}. */
export interface Presence {
  room: RoomId;
  members: string[];
  count: number;
}

/** A chat channel: rooms, reliable messages, history, and recovery after a lost session. */
export interface ChatChannel {
  readonly channel: Channel;
  /** Joins a room; it is re-joined automatically after a reconnect that did not resume. */
  join(room: RoomId): Promise<unknown>;
  leave(room: RoomId): Promise<unknown>;
  /**
   * Sends a message; resolves with the server's id and timestamp once it is stored. A refusal `unavailable` (the
   * server's shared store is away) is retried with the same `mid` as {@link ChatOptions.sayRetry} says; other
   * refusals reject with a `RemoteError` at once. Says to a room are stored in the order they were made, even across a
   * lost session: one made while the room is joining or re-joining waits, and goes behind the older ones.
   */
  say(room: RoomId, body: unknown): Promise<Said>;
  /** Receives each message of `room` once, in id order; returns the unsubscribe function. */
  onMessage<B = unknown>(room: RoomId, fn: (message: ChatMessage<B>) => void): () => void;
  /** Up to `limit` messages before `before` (default: the newest), oldest first. */
  history(room: RoomId, options?: { before?: number; limit?: number }): Promise<ChatMessage[]>;
  /**
   * Who is in `room` now (on every server process when the server's chat is on Redis): the members' public ids, sorted,
   * at most the server's `maxPresence` of them, and `count`, the true total. Only a member may ask.
   */
  presence(room: RoomId): Promise<Presence>;
  on<K extends keyof ChatEvents & string>(event: K, fn: (context: ChatEvents[K]) => void): () => void;
  readonly rooms: ReadonlySet<RoomId>;
  close(): void;
}

