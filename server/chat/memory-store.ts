import { UsageError } from '../../src/errors';
import { ChatError, ChatErrorCode } from '../core/errors';
import type { ServerState } from '../core/state';
import { type ChatMessage, ChatRoom, chatIdBase, type RoomLimits } from './room';
import type { Appended, ChatDraft, ChatStore, HistoryPage, PresenceEntry, PresencePage, RoomListener } from './store';

/*
 * The chat store of one process, and the default: rooms' ids, history, `mid` dedupe and presence in memory, kept in
 * the server's state so that a chat on the next server built on that state takes them over. Where it differs from a
 * shared store it does so on purpose, and only here:
 *
 * - ids are one sequence across the process's rooms, from the clock (`chatIdBase`), so a room's ids have gaps and
 *   each message names the one before it;
 * - a room is freed with its history once unsubscribed (its last member here left): nobody else could read it;
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

/** A {@link ChatStore} in this process's memory; see {@link keptMemoryStore}. */
export class MemoryChatStore implements ChatStore {
  readonly presenceLasts = true;
  private readonly rooms = new Map<string, Kept>();
  private nextId = chatIdBase() + 1;

  /** The newest id given (the base of the run before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** A new room starts at the newest id given: everything below it was before the room began. */
  async subscribe(room: string, listener: RoomListener): Promise<number> {
    const kept = this.room(room);
    kept.listener = listener;
    return kept.memory.lastId;
  }

  unsubscribe(room: string): void {
    this.rooms.delete(room);
  }

  /** At once, not with a promise. @throws {ChatError} `too_large` when no frame can carry the message. */
  append(room: string, draft: ChatDraft, limits: RoomLimits): Appended {
    const kept = this.room(room);
    const earlier = kept.memory.said(draft.mid);
    if (earlier) return { id: earlier.id, ts: earlier.ts, fresh: false };
    const message: ChatMessage = { id: this.nextId++, ...draft };
    try {
      kept.listener?.(message, kept.memory.lastId);
    } catch (err) {
      // Only a frame over maxFrameBytes gets here, and nothing was sent: the sender must still hear of it.
      if (!(err instanceof UsageError)) throw err;
      throw new ChatError(ChatErrorCode.TooLarge, err.message);
    }
    kept.memory.add(message, limits);
    return { id: message.id, ts: message.ts, fresh: true };
  }

  /** At once, not with a promise. */
  said(room: string, mid: string): { id: number; ts: number } | undefined {
    const earlier = this.rooms.get(room)?.memory.said(mid);
    return earlier && { id: earlier.id, ts: earlier.ts };
  }

  async page(room: string, before: number, limit: number): Promise<HistoryPage> {
    const memory = this.rooms.get(room)?.memory;
    return memory ? { messages: memory.page(before, limit), evictedUpTo: memory.evictedUpTo } : { messages: [], evictedUpTo: 0 };
  }

  async range(room: string, after: number, before: number): Promise<ChatMessage[]> {
    return (this.rooms.get(room)?.memory.page(before, Infinity) ?? []).filter((message) => message.id > after);
  }

  /** One copy of each session lives here, so entries need neither owners nor tombstones. */
  async present(room: string, entries: readonly PresenceEntry[]): Promise<void> {
    const kept = this.rooms.get(room);
    for (const { publicId } of entries) kept?.present.add(publicId);
  }

  async absent(room: string, entry: PresenceEntry): Promise<void> {
    this.rooms.get(room)?.present.delete(entry.publicId);
  }

  async presence(room: string, limit: number): Promise<PresencePage> {
    // By UTF-16 code units: for the server's ASCII public ids, a shared store's byte order.
    const ids = [...(this.rooms.get(room)?.present ?? [])].sort();
    return { members: ids.slice(0, limit), count: ids.length };
  }

  /** Never unavailable, and nothing fails unheard: no event is ever emitted. */
  on(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.rooms.clear();
  }

  private room(key: string): Kept {
    let kept = this.rooms.get(key);
    if (!kept) {
      kept = { memory: new ChatRoom(this.lastId), listener: undefined, present: new Set() };
      this.rooms.set(key, kept);
    }
    return kept;
  }
}

const KEPT = Symbol('memory chat store');

/** The in-memory chat store kept in `state`, made the first time it is asked for. */
export function keptMemoryStore(state: ServerState): MemoryChatStore {
  return state.kept(KEPT, () => new MemoryChatStore());
}
