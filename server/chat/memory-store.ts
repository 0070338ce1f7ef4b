import { UsageError } from '../../src/errors';
import { type Clock, systemClock } from '../../src/time/clock';
import { ChatError, ChatErrorCode } from '../core/errors';
import type { ServerState } from '../core/state';
import { DEFAULT_ROOM_TTL_MS } from './options';
import { type StoredChatMessage, ChatRoom, chatIdBase, type RoomLimits } from './room';
import type { Appended, ChatDraft, ChatStore, HistoryPage, PresenceEntry, PresencePage, RoomListener } from './store';

/*
 * The chat store of one process, and the default: rooms' ids, history, `mid` dedupe and presence in memory, kept in
 * the server's state so that a chat on the next server built on that state takes them over. Where it differs from a
 * shared store it does so on purpose, and only here:
 *
 * - ids are one sequence across the process's rooms, from the clock (`chatIdBase`), so a room's ids have gaps and
 *   each message names the one before it;
 * - a room without members (unsubscribed: its last member here left) keeps its history for `roomTtlMs` and is then
 *   dropped, at the next call that looks at it; past `maxRooms` rooms the longest-idle one without members goes first.
 *   Rooms with members are never dropped, so the store may hold more than `maxRooms` while that many have members
 *   (they are bounded by the sessions and their `maxRoomsPerSession` anyway). Idle rooms sit in a Map in the order
 *   they emptied, so both checks look at its first entries only;
 * - `append` and `said` answer at once, not with a promise, so a say is answered in the turn it arrived; `append`
 *   hands the message to the room's listener before it answers, and keeps it only if that worked: a message no
 *   frame can carry is refused `too_large` rather than kept;
 * - presence never expires (no other process can die holding members), so nobody renews it.
 */

/** One room here: its memory, the subscription's listener and the public ids present. */
interface Kept {
  readonly memory: ChatRoom;
  listener: RoomListener | undefined;
  readonly present: Set<string>;
}

/** How long rooms without members are kept, and how many rooms at most: the chat options of the same names. */
export interface RoomKeeping {
  /** The time rooms empty and expire by: the server's clock. */
  readonly clock: Pick<Clock, 'now'>;
  readonly roomTtlMs: number;
  readonly maxRooms: number;
}

/** A {@link ChatStore} in this process's memory; see {@link keptMemoryStore}. */
export class MemoryChatStore implements ChatStore {
  readonly presenceLasts = true;
  private readonly rooms = new Map<string, Kept>();
  /** The rooms without members and when each emptied, the longest-idle first. */
  private readonly idle = new Map<string, number>();
  private nextId = chatIdBase() + 1;

  /** @param keeping defaults: the system clock, `DEFAULT_ROOM_TTL_MS`, 10,000 rooms; a chat installed on it sets its own. */
  constructor(public keeping: RoomKeeping = { clock: systemClock, roomTtlMs: DEFAULT_ROOM_TTL_MS, maxRooms: 10_000 }) {}

  /** The newest id given (the base of the run before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** A new room starts at the newest id given: everything below it was before the room began. */
  async subscribe(room: string, listener: RoomListener): Promise<number> {
    const kept = this.room(room);
    this.idle.delete(room);
    kept.listener = listener;
    this.drop();
    return kept.memory.lastId;
  }

  /** The room and its history stay, for `roomTtlMs` from now unless a member comes back. */
  unsubscribe(room: string): void {
    const kept = this.rooms.get(room);
    if (!kept) return;
    kept.listener = undefined;
    // Nobody can be present in a room with no member in the one process that holds them.
    kept.present.clear();
    this.idle.delete(room);
    this.idle.set(room, this.keeping.clock.now());
    this.drop();
  }

  /**
   * At once, not with a promise. @throws {ChatError} `too_large` when no frame can carry the message, `mid_conflict`
   * when the room remembers its `mid` with another body.
   */
  append(room: string, draft: ChatDraft, digest: string, limits: RoomLimits): Appended {
    const kept = this.room(room);
    const earlier = kept.memory.said(draft.mid, digest);
    if (earlier) return { id: earlier.id, ts: earlier.ts, fresh: false };
    const message: StoredChatMessage = { id: this.nextId++, ...draft };
    try {
      kept.listener?.(message, kept.memory.lastId);
    } catch (err) {
      // Only a frame over maxFrameBytes gets here, and nothing was sent: the sender must still hear of it.
      if (!(err instanceof UsageError)) throw err;
      throw new ChatError(ChatErrorCode.TooLarge, err.message);
    }
    kept.memory.add(message, digest, limits);
    return { id: message.id, ts: message.ts, fresh: true };
  }

  /** At once, not with a promise. @throws {ChatError} `mid_conflict`. */
  said(room: string, mid: string, digest: string): { id: number; ts: number } | undefined {
    const earlier = this.find(room)?.memory.said(mid, digest);
    return earlier && { id: earlier.id, ts: earlier.ts };
  }

  async page(room: string, before: number, limit: number): Promise<HistoryPage> {
    const memory = this.find(room)?.memory;
    return memory ? { messages: memory.page(before, limit), evictedUpTo: memory.evictedUpTo } : { messages: [], evictedUpTo: 0 };
  }

  async range(room: string, after: number, before: number): Promise<StoredChatMessage[]> {
    return (this.find(room)?.memory.page(before, Infinity) ?? []).filter((message) => message.id > after);
  }

  /** One copy of each session lives here, so entries need neither owners nor tombstones. */
  async present(room: string, entries: readonly PresenceEntry[]): Promise<void> {
    const kept = this.find(room);
    for (const { publicId } of entries) kept?.present.add(publicId);
  }

  async absent(room: string, entry: PresenceEntry): Promise<void> {
    this.find(room)?.present.delete(entry.publicId);
  }

  async presence(room: string, limit: number): Promise<PresencePage> {
    // By UTF-16 code units: for the server's ASCII public ids, a shared store's byte order.
    const ids = [...(this.find(room)?.present ?? [])].sort();
    return { members: ids.slice(0, limit), count: ids.length };
  }

  /** Never unavailable, and nothing fails unheard: no event is ever emitted. */
  on(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.idle.clear();
  }

  /** The room `key`, made now (at the newest id given) if it is not kept. */
  private room(key: string): Kept {
    let kept = this.find(key);
    if (!kept) {
      kept = { memory: new ChatRoom(this.lastId), listener: undefined, present: new Set() };
      this.rooms.set(key, kept);
    }
    return kept;
  }

  /** The room `key` if it is kept, after dropping the rooms whose time is up. */
  private find(key: string): Kept | undefined {
    this.drop();
    return this.rooms.get(key);
  }

  /** Drops the rooms without members that expired, then the longest-idle ones while there are over `maxRooms`. */
  private drop(): void {
    if (this.idle.size === 0) return;
    const { clock, roomTtlMs, maxRooms } = this.keeping;
    const expired = clock.now() - roomTtlMs;
    for (const [key, since] of this.idle) {
      if (since > expired && this.rooms.size <= maxRooms) return;
      this.idle.delete(key);
      this.rooms.delete(key);
    }
  }
}

const KEPT = Symbol('memory chat store');

/**
 * The in-memory chat store kept in `state`, made the first time it is asked for; given `keeping`, it keeps rooms as that
 * says from now on (a chat on the next server built on `state` brings that server's clock and options).
 */
export function keptMemoryStore(state: ServerState, keeping?: RoomKeeping): MemoryChatStore {
  const store = state.kept(KEPT, () => new MemoryChatStore(keeping));
  if (keeping) store.keeping = keeping;
  return store;
}
