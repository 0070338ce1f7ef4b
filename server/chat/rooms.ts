import { UsageError } from '../../src/errors';
import type { ReferenceServer } from '../core/server';
import type { ServerSession } from '../core/types';
import { Session } from '../sessions/session';
import type { StoredChatMessage } from './room';
import type { ChatStore } from './store';

/*
 * This process's rooms: their members here, and the hand-over of each room's messages from the store's subscription to
 * those members. Every message, the sender's own included, reaches the members through the subscription and never
 * directly: the subscription delivers a room's messages in id order, so members on every process see the same
 * sequence once, with no local shortcut overtaking a remote message.
 */

/** This process's share of a room: its members here, and how far the room's messages have been handed to them. */
export interface LocalRoom {
  readonly key: string;
  readonly topic: string;
  readonly members: Set<ServerSession>;
  /** The newest id handed to the members (at the subscription, the room's newest id). */
  last: number;
  /** Settles once the subscription is in place and `last` known. */
  opened: Promise<void>;
  /**
   * The id small ids count from here: `last` when the room opened here, then fixed. Members that asked for small ids
   * (`chat/join` `{ids: 'small'}`) get it in a RELIABLE `chat/epoch` before any message, and each message's id as `n`,
   * its distance from the epoch.
   */
  epoch: number | undefined;
  /** Arrivals (and the id each names before it) held while the room opens or fetches a gap, so that order holds. */
  held: { message: StoredChatMessage; after: number }[] | undefined;
  /** `chat/said` answers waiting until their message has been handed to the members (the sender among them). */
  readonly waiters: { id: number; answer: () => void }[];
  closed: boolean;
}

/** The rooms open here and each member session's rooms: what a chat on the next server may take over. */
export interface RoomTables {
  readonly rooms: Map<string, LocalRoom>;
  readonly joined: Map<ServerSession, Set<LocalRoom>>;
  /** The sessions that asked for small ids (PROTOCOL.md section 6). */
  readonly small: Set<ServerSession>;
}

export function roomTables(): RoomTables {
  return { rooms: new Map(), joined: new Map(), small: new Set() };
}

/** The note that carries a session's wish for small ids to the process it moves to. */
export const SMALL_IDS_NOTE = 'chat-ids:small';

/** The message as a member that asked for small ids gets it: `n` (the id minus the room's epoch) instead of `id`. */
function smallIds(message: StoredChatMessage, epoch: number): Omit<StoredChatMessage, 'id'> & { n: number } {
  const { id, ...rest } = message;
  return { n: id - epoch, ...rest };
}

/**
 * With a shared session store, each member's session keeps, with the frames of the same write, the last id of the
 * room it was handed: a session moved to another process re-joins there and is handed what came after (rejoin).
 */
export function noteRoom(session: ServerSession, key: string, id: number | undefined): void {
  if (session instanceof Session) session.note(`room:${key}`, id === undefined ? '' : String(id));
}

/** Opens and closes this process's rooms on a store, and hands each room's messages to its members here. */
export class RoomFeed {
  /** @param idle called when the last room here closes. */
  constructor(
    private readonly server: ReferenceServer,
    private readonly store: ChatStore,
    readonly tables: RoomTables,
    private readonly idle: () => void,
  ) {}

  /**
   * Resolves once `room` here has handed out every message the store held when asked: a join's `lastId` is then never
   * behind what another process delivered (a re-joining client would take a lower one for ids that went back).
   */
  async caughtUp(room: LocalRoom): Promise<void> {
    const newest = (await this.store.page(room.key, Infinity, 1)).messages[0];
    if (!newest || room.closed || room.last >= newest.id) return;
    await new Promise<void>((resolve) => room.waiters.push({ id: newest.id, answer: resolve }));
  }

  /** The room `key`, opened (subscribed) now if it is not open here. */
  open(key: string): LocalRoom {
    const open = this.tables.rooms.get(key);
    if (open) return open;
    const room: LocalRoom = { key, topic: `room/${key}/message`, members: new Set(), last: 0, opened: Promise.resolve(), epoch: undefined, held: [], waiters: [], closed: false };
    this.tables.rooms.set(key, room);
    this.listen(room);
    return room;
  }

  /** Subscribes `room` here: when it opens, and again when a chat on a new server takes over a kept room. */
  listen(room: LocalRoom): void {
    room.held ??= [];
    room.opened = this.store.subscribe(room.key, (message, after) => this.arrive(room, message, after)).then(
      (last) => {
        room.last = Math.max(room.last, last);
        // Fixed once: members here already count from it (a kept room that a new server's chat listens to again).
        if (room.epoch === undefined) {
          room.epoch = room.last;
          this.announce(room, room.members);
        }
        const held = this.takeHeld(room);
        for (const { message, after } of held) this.arriveOver(room, message, after);
      },
      (err: unknown) => {
        if (!room.closed) this.close(room);
        throw err;
      },
    );
  }

  close(room: LocalRoom): void {
    room.closed = true;
    this.tables.rooms.delete(room.key);
    this.store.unsubscribe(room.key);
    this.release(room, Infinity);
    if (this.tables.rooms.size === 0) this.idle();
  }

  /**
   * Sends the room's epoch to those of `sessions` that asked for small ids: before any message of the room (a member
   * added before the room opened gets it when it opens). Again for a session that has it already: it is the same.
   */
  announce(room: LocalRoom, sessions: Iterable<ServerSession>): void {
    if (room.epoch === undefined || this.tables.small.size === 0) return;
    for (const session of sessions) {
      if (this.tables.small.has(session)) session.sendReliable('chat/epoch', { room: room.key, epoch: room.epoch }, { ifFull: 'end-session' });
    }
  }

  /**
   * `session` asked for small ids (or came from a process where it had): from now on, for the session's life, its
   * rooms' messages reach it with `n`, each room's epoch first (now, for the rooms it is in already).
   */
  countFromEpochs(session: ServerSession): void {
    if (this.tables.small.has(session)) return;
    this.tables.small.add(session);
    if (session instanceof Session) session.note(SMALL_IDS_NOTE, '1');
    for (const room of this.tables.joined.get(session) ?? []) this.announce(room, [session]);
  }

  /** Sends one message of `room` to `session` alone (a re-join's catch-up), as that session counts ids. */
  sendTo(session: ServerSession, room: LocalRoom, message: StoredChatMessage): void {
    const asked = room.epoch !== undefined && this.tables.small.has(session);
    session.sendReliable(room.topic, asked ? smallIds(message, room.epoch as number) : message, { ifFull: 'end-session' });
  }

  /** Makes `session` a member of `room` here. */
  add(session: ServerSession, room: LocalRoom): void {
    const mine = this.tables.joined.get(session) ?? new Set<LocalRoom>();
    if (!room.members.has(session)) this.announce(room, [session]);
    room.members.add(session);
    mine.add(room);
    this.tables.joined.set(session, mine);
  }

  /**
   * Takes `session` out of `room` here, closing the room once nobody here is in it. `forget`: its note of the room goes
   * too; false for a session that lives on elsewhere, whose note is what re-joins it there.
   */
  remove(session: ServerSession, room: LocalRoom, forget = true): void {
    room.members.delete(session);
    if (forget) noteRoom(session, room.key, undefined);
    const mine = this.tables.joined.get(session);
    mine?.delete(room);
    if (mine?.size === 0) this.tables.joined.delete(session);
    if (room.members.size === 0 && !room.closed) this.close(room);
  }

  /** Answers the `chat/said` waiting for messages up to `upTo`. */
  release(room: LocalRoom, upTo: number): void {
    if (room.waiters.length === 0) return;
    const due = room.waiters.filter((w) => w.id <= upTo);
    if (due.length === 0) return;
    room.waiters.splice(0, room.waiters.length, ...room.waiters.filter((w) => w.id > upTo));
    for (const waiter of due) waiter.answer();
  }

  /** Hands over what is held (and anything the history has that the subscription skipped), in id order. */
  async catchUp(room: LocalRoom): Promise<void> {
    let failed = false;
    try {
      for (const message of await this.store.range(room.key, room.last, Infinity)) if (!room.closed && message.id > room.last) this.handOver(room, message);
    } catch {
      // The store is away again: what is held still goes, and the members recover the rest from history on resync.
      failed = true;
    }
    if (room.closed) {
      room.held = undefined;
      return;
    }
    for (const { message } of this.takeHeld(room)) if (message.id > room.last) this.handOver(room, message);
    // The gap may never be filled now: do not keep senders waiting for their chat/said.
    if (failed) this.release(room, Infinity);
  }

  /** The subscription's listener. @throws {UsageError} when no frame can carry `message`. */
  private arrive(room: LocalRoom, message: StoredChatMessage, after: number): void {
    if (room.closed) return;
    if (room.held) {
      room.held.push({ message, after });
      return;
    }
    if (message.id <= room.last) return;
    if (after <= room.last) {
      this.hand(room, message);
      return;
    }
    // The message names one before it that was not handed over: the subscription missed some (it was re-established).
    room.held = [{ message, after }];
    void this.catchUp(room);
  }

  private takeHeld(room: LocalRoom): { message: StoredChatMessage; after: number }[] {
    const held = (room.held ?? []).sort((a, b) => a.message.id - b.message.id);
    room.held = undefined;
    return held;
  }

  /** {@link arrive} and {@link hand} for a message the store has kept already: one no frame can carry is nobody's here. */
  private arriveOver(room: LocalRoom, message: StoredChatMessage, after: number): void {
    try {
      this.arrive(room, message, after);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  }

  private handOver(room: LocalRoom, message: StoredChatMessage): void {
    try {
      this.hand(room, message);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  }

  /** @throws {UsageError} when no frame can carry `message` (over maxFrameBytes): nothing was sent. */
  private hand(room: LocalRoom, message: StoredChatMessage): void {
    try {
      const small = this.tables.small;
      if (small.size === 0 || room.epoch === undefined) this.server.broadcastReliable(room.members, room.topic, message);
      else {
        // Two encodings at most: one for the members that count from the epoch, one for the others.
        const [asked, others] = [[] as ServerSession[], [] as ServerSession[]];
        for (const member of room.members) (small.has(member) ? asked : others).push(member);
        if (others.length > 0) this.server.broadcastReliable(others, room.topic, message);
        if (asked.length > 0) this.server.broadcastReliable(asked, room.topic, smallIds(message, room.epoch));
      }
      room.last = message.id;
      // noteRoom for every member, with the note's key and value built once per message rather than per member.
      const note = `room:${room.key}`;
      const value = String(message.id);
      for (const member of room.members) if (member instanceof Session) member.note(note, value);
    } finally {
      this.release(room, message.id);
    }
  }
}
