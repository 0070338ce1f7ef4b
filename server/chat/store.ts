import type { StoredChatMessage, RoomLimits } from './room';

/*
 * The shared half of the chat module: what every server process of one service must agree on (a room's message ids,
 * its history and `mid` dedupe) and the broker that carries a room's messages to every process with members in it.
 * Membership stays with the process that holds the session; presence (who is in a room, on every process) is shared.
 * The in-memory store (`server/chat/memory-store.ts`, the default) keeps it in `ServerState`; a store such as
 * `createRedisChatStore` puts it where several processes see it.
 */

/** A message before the store gave it an id. */
export type ChatDraft = Omit<StoredChatMessage, 'id'>;

/** What {@link ChatStore.append} did: stored and published a new message, or found the one an earlier `mid` made. */
export interface Appended {
  readonly id: number;
  readonly ts: number;
  /**
   * False when the room remembered the `mid` with the same body digest: nothing was stored or published, `id` and `ts`
   * are the first answer's.
   */
  readonly fresh: boolean;
}

/** One page of a room's history, as `chat/history` answers it. */
export interface HistoryPage {
  /** Oldest first. */
  readonly messages: StoredChatMessage[];
  /** The id of the newest message no longer kept (0 if none). */
  readonly evictedUpTo: number;
}

/**
 * One session's entry in a room's presence: the `publicId` every process lists, and the copy of the session that put
 * it there. A process can hold an old copy of a session that has moved on (to another process, or back to itself as a
 * new copy); only the copy that owns an entry removes it, so dropping the old copy (`sessionEnd` `moved`) leaves the
 * entry the session's current copy made.
 */
export interface PresenceEntry {
  readonly publicId: string;
  /** A token unique to one session object in one process (the chat module makes it). */
  readonly owner: string;
}

/**
 * How {@link ChatStore.present} treats an entry someone else owns: `join` takes it over (the session is served here
 * now) and clears a tombstone {@link ChatStore.absent} left; `refresh` leaves it alone (this copy is stale), renewing
 * only its own entries and adding back missing ones that are not tombstoned.
 */
export type PresenceMode = 'join' | 'refresh';

/** What `chat/presence` answers besides the room. */
export interface PresencePage {
  /** The first `limit` public ids, ascending (byte order; the server's public ids are ASCII), each once. */
  readonly members: string[];
  /** How many there are in all. */
  readonly count: number;
}

/**
 * How a store's room subscription hands over each message, in id order as the broker carries them, with `after`, the
 * id of the room's message before it: a larger `after` than the last id handed over means some were missed. Throws a
 * `UsageError` when no frame here can carry the message (over `maxFrameBytes`): a store that has not yet kept it
 * refuses it `too_large`, one that has ignores it (the history still has it).
 */
export type RoomListener = (message: StoredChatMessage, after: number) => void;

/** Events of a {@link ChatStore}. */
export interface ChatStoreEvents {
  /** The store cannot be reached: says are refused `unavailable` until `available`. */
  unavailable: { error: Error };
  /** The store can be reached again. */
  available: Record<string, never>;
  /** Something failed that no request will hear of (a message that could not be decoded, a gap not filled). */
  error: { error: Error };
}

/**
 * The chat rooms' shared state and broker. Every method that talks to the store rejects with a `ChatError`
 * `unavailable` when it cannot be reached, so the chat module refuses rather than accept what it cannot store.
 * `append` and `said` may answer at once rather than with a promise (the in-memory store does, and may then throw):
 * the chat then answers a `chat/say` in the turn it arrived, so that says are answered in the order they came.
 */
export interface ChatStore {
  /** True when presence entries never expire (one process holds every member): nothing to renew. Default false. */
  readonly presenceLasts?: boolean;
  /**
   * Routes `room`'s messages to `listener` from now on (one listener per room and process); resolves with the id of
   * the room's newest message once no message after it can be missed.
   */
  subscribe(room: string, listener: RoomListener): Promise<number>;
  /** Stops routing `room`'s messages here. */
  unsubscribe(room: string): void;
  /**
   * Gives `draft` the room's next id, keeps it in the history and its `mid` with `digest` (`bodyDigest` of its body)
   * in the dedupe, and publishes it to every subscribed process, all at once; or answers the earlier message of a
   * remembered `mid` said with the same digest. `limits` bound the room's history and dedupe.
   * @throws {ChatError} (or rejects) `mid_conflict` when the room remembers `mid` with another digest: nothing is kept.
   */
  append(room: string, draft: ChatDraft, digest: string, limits: RoomLimits): Appended | Promise<Appended>;
  /**
   * The id and time of the message an earlier `chat/say` with `mid` and the same `digest` produced, while the room
   * remembers it. @throws {ChatError} (or rejects) `mid_conflict` when it remembers `mid` with another digest.
   */
  said(room: string, mid: string, digest: string): { id: number; ts: number } | undefined | Promise<{ id: number; ts: number } | undefined>;
  /** Up to `limit` kept messages with `id < before` (the newest such), oldest first. */
  page(room: string, before: number, limit: number): Promise<HistoryPage>;
  /** Kept messages with `after < id < before`, oldest first: what a subscription that lost messages fetches. */
  range(room: string, after: number, before: number): Promise<StoredChatMessage[]>;
  /**
   * Lists `entries` in `room`'s presence until `ttlMs` from now on the store's own clock (one clock for every process),
   * unless renewed: a process that dies without removing its members loses them after that.
   */
  present(room: string, entries: readonly PresenceEntry[], ttlMs: number, mode: PresenceMode): Promise<void>;
  /**
   * Removes `entry.publicId` from `room`'s presence if `entry.owner` still owns it (else changes nothing), and then, if
   * `rememberMs` > 0, keeps a tombstone for that long: a `refresh` does not add the id back meanwhile (an older copy of
   * the session, on a process that has not yet learnt that it moved, still renews it), a `join` clears it.
   */
  absent(room: string, entry: PresenceEntry, rememberMs: number): Promise<void>;
  /** `room`'s unexpired presence (expired entries are dropped first): the first `limit` ids and the count. */
  presence(room: string, limit: number): Promise<PresencePage>;
  on<K extends keyof ChatStoreEvents & string>(event: K, listener: (context: ChatStoreEvents[K]) => void): () => void;
  /** Releases its connections; resolves once they are closed. Closing again answers the first close. */
  close(): Promise<void>;
}
