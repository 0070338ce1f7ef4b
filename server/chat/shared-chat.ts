import { UsageError } from '../../src/errors';
import type { Chat, ChatOptions, ChatSaid } from './chat';
import type { ChatMessage } from './room';
import { checkSay, field, historyPage, keyOf } from './payload';
import type { ChatStore } from './store';
import { MsgpackEncoder } from '../../src/wire/msgpack/encoder';
import { ChatError, ChatErrorCode } from '../core/errors';
import { PresenceKeeper } from './presence-keeper';
import type { ReferenceServer } from '../core/server';
import { Session } from '../sessions/session';
import type { ServerSession } from '../core/types';

/*
 * The chat module over a shared store (several server processes, one service). The store gives ids, keeps history
 * and dedupe, and carries each room's messages to every process subscribed to it; this process hands each one to its
 * own members. Every message, the sender's own included, reaches the members through the store's subscription and
 * never directly: the subscription delivers a room's messages in publication order, which is id order, so members
 * on every process see the same sequence once, with no local shortcut overtaking a remote message. Presence (who is in a
 * room, on every process) is kept in the store by a PresenceKeeper: members are listed where they join.
 */

/** This process's share of a room: its members here, and how far the room's messages have been handed to them. */
interface LocalRoom {
  readonly key: string;
  readonly topic: string;
  readonly members: Set<ServerSession>;
  /** The newest id handed to the members (at the subscription, the room's newest id). */
  last: number;
  /** Settles once the subscription is in place and `last` known. */
  opened: Promise<void>;
  /** Arrivals held while the room opens or fetches a gap from the history, so that order holds. */
  held: ChatMessage[] | undefined;
  /** `chat/said` answers waiting until their message has been handed to the members (the sender among them). */
  readonly waiters: { id: number; answer: () => void }[];
  closed: boolean;
}

/**
 * Installs the chat module of {@link installChat} with `store` holding ids, history and dedupe: the same topics,
 * payloads and refusals, plus `chat/said` error and FAIL `unavailable` while the store cannot be reached.
 */
export function installSharedChat(server: ReferenceServer, o: Readonly<ChatOptions>, store: ChatStore): Chat {
  const rooms = new Map<string, LocalRoom>();
  const joined = new Map<ServerSession, Set<LocalRoom>>();
  /** Sessions moved here re-joining their rooms: their chat requests wait for it, so that none is refused meanwhile. */
  const rejoining = new Map<ServerSession, Promise<void>>();
  /** What to await first: nothing (and so no extra turn) unless `session` is re-joining. */
  const settled = (session: ServerSession): Promise<void> | undefined => rejoining.get(session);
  const sizer = new MsgpackEncoder({ maxDepth: 64 });
  // A leave's tombstone outlives any older copy of the session that a process cut from the store may still hold and
  // renew: such a copy ends with its resume window at the latest, and its last renewal expires presenceTtlMs later.
  const presence = new PresenceKeeper(server.clock, store, o.presenceTtlMs, server.resumeWindowMs + o.presenceTtlMs, () => rooms.values());

  const answer = (session: ServerSession, said: ChatSaid): void => {
    // One slow client must not fail the handler: its session ends and it resyncs.
    session.sendReliable('chat/said', said, { ifFull: 'end-session' });
  };

  const release = (room: LocalRoom, upTo: number): void => {
    if (room.waiters.length === 0) return;
    const due = room.waiters.filter((w) => w.id <= upTo);
    if (due.length === 0) return;
    room.waiters.splice(0, room.waiters.length, ...room.waiters.filter((w) => w.id > upTo));
    for (const waiter of due) waiter.answer();
  };

  /**
   * With a shared session store, each member's session keeps, with the frames of the same write, the last id of the
   * room it was handed: a session moved to another process re-joins there and is handed what came after (rejoin).
   */
  const noteRoom = (session: ServerSession, key: string, id: number | undefined): void => {
    if (session instanceof Session) session.note(`room:${key}`, id === undefined ? '' : String(id));
  };

  const hand = (room: LocalRoom, message: ChatMessage): void => {
    room.last = message.id;
    try {
      server.broadcastReliable(room.members, room.topic, message);
      // noteRoom for every member, with the note's key and value built once per message rather than per member.
      const note = `room:${room.key}`;
      const value = String(message.id);
      for (const member of room.members) if (member instanceof Session) member.note(note, value);
    } catch (err) {
      // A frame over maxFrameBytes (maxBodyBytes set above it): nobody here can be sent it; the history still has it.
      if (!(err instanceof UsageError)) throw err;
    }
    release(room, message.id);
  };

  /** Hands over what is held (and anything the history has that the subscription skipped), in id order. */
  const catchUp = async (room: LocalRoom): Promise<void> => {
    let failed = false;
    try {
      for (const message of await store.range(room.key, room.last, Infinity)) if (!room.closed && message.id > room.last) hand(room, message);
    } catch {
      // The store is away again: what is held still goes, and the members recover the rest from history on resync.
      failed = true;
    }
    const held = (room.held ?? []).sort((a, b) => a.id - b.id);
    room.held = undefined;
    if (room.closed) return;
    for (const message of held) if (message.id > room.last) hand(room, message);
    // The gap may never be filled now: do not keep senders waiting for their chat/said.
    if (failed) release(room, Infinity);
  };

  const arrive = (room: LocalRoom, message: ChatMessage): void => {
    if (room.closed) return;
    if (room.held) {
      room.held.push(message);
      return;
    }
    if (message.id <= room.last) return;
    if (message.id === room.last + 1) {
      hand(room, message);
      return;
    }
    // Ids in a room have no holes: a jump means the subscription missed some (it was re-established).
    room.held = [message];
    void catchUp(room);
  };

  const close = (room: LocalRoom): void => {
    room.closed = true;
    rooms.delete(room.key);
    store.unsubscribe(room.key);
    release(room, Infinity);
    if (rooms.size === 0) presence.idle();
  };

  const open = (key: string): LocalRoom => {
    const room: LocalRoom = {
      key,
      topic: `room/${key}/message`,
      members: new Set(),
      last: 0,
      opened: Promise.resolve(),
      held: [],
      waiters: [],
      closed: false,
    };
    room.opened = store.subscribe(key, (message) => arrive(room, message)).then(
      (last) => {
        room.last = last;
        const held = (room.held ?? []).sort((a, b) => a.id - b.id);
        room.held = undefined;
        for (const message of held) arrive(room, message);
      },
      (err: unknown) => {
        if (!room.closed) close(room);
        throw err;
      },
    );
    rooms.set(key, room);
    return room;
  };

  /**
   * Resolves once the store has removed the session's presence there, or could not (the entry then stays listed until
   * it expires, presenceTtlMs after its last renewal). `moved`: this copy ended because the session moved on.
   */
  const leave = (session: ServerSession, room: LocalRoom, moved = false): Promise<void> => {
    room.members.delete(session);
    noteRoom(session, room.key, undefined);
    const mine = joined.get(session);
    mine?.delete(room);
    if (mine?.size === 0) joined.delete(session);
    if (room.members.size === 0 && !room.closed) close(room);
    return presence.hide(room.key, session, moved);
  };

  /** The room `payload` names, which `session` must be a member of. @throws {ChatError} `bad_request`, `not_member`. */
  const memberOf = (payload: unknown, session: ServerSession): LocalRoom => {
    const target = rooms.get(keyOf(field(payload, 'room')));
    if (!target || !target.members.has(session)) throw new ChatError(ChatErrorCode.NotMember, 'join the room first');
    return target;
  };

  const join = async (payload: unknown, session: ServerSession): Promise<unknown> => {
    if (rejoining.size > 0) await settled(session);
    const room = field(payload, 'room');
    const key = keyOf(room);
    let target = rooms.get(key);
    const wasMember = target !== undefined && target.members.has(session);
    if (!target || !wasMember) {
      const mine = joined.get(session) ?? new Set<LocalRoom>();
      if (mine.size >= o.maxRoomsPerSession) throw new ChatError(ChatErrorCode.TooManyRooms, `at most ${o.maxRoomsPerSession} rooms per session`);
      target = target ?? open(key);
      target.members.add(session);
      mine.add(target);
      joined.set(session, mine);
    }
    // Listed everywhere before the answer, so that whoever asks after it, on any process, sees the session (a join
    // again lists it again, should its entry have gone).
    const shown = presence.show(key, session);
    try {
      await Promise.all([target.opened, shown]);
    } catch (err) {
      if (!wasMember) void leave(session, target);
      throw err;
    }
    if (target.members.has(session)) noteRoom(session, key, target.last);
    return { room, lastId: target.last };
  };

  /**
   * A session moved here from another process (shared session store) was a member of the room `key` and had been
   * handed its messages up to `after`: hand it the ones since, from the history, then make it a member here.
   */
  const rejoin = async (session: Session, key: string, after: number): Promise<void> => {
    const target = rooms.get(key) ?? open(key);
    let last = after;
    try {
      await target.opened;
      // Bounded: each round fetches up to the newest id handed here, which only moves while we await.
      for (let round = 0; round < 100 && !target.closed && !session.ended && target.last > last; round++) {
        for (const message of await store.range(key, last, target.last + 1)) {
          if (message.id <= last || session.ended) continue;
          session.sendReliable(target.topic, message, { ifFull: 'end-session' });
          last = message.id;
        }
      }
    } catch {
      // The store is away: the session stays out of the room (its client's next resync joins it again).
    }
    if (target.closed || session.ended || last < target.last || target.members.has(session)) {
      if (target.members.size === 0 && !target.closed) close(target);
      return;
    }
    const mine = joined.get(session) ?? new Set<LocalRoom>();
    target.members.add(session);
    mine.add(target);
    joined.set(session, mine);
    noteRoom(session, key, last);
    // Its entry is this copy's from now on: the copy it left behind on the other process removes nothing when it ends.
    await presence.show(key, session).catch(() => undefined);
  };

  const say = async (payload: unknown, session: ServerSession): Promise<void> => {
    if (rejoining.size > 0) await settled(session);
    const checked = checkSay(payload);
    if (!('key' in checked)) {
      answer(session, { mid: checked.mid, room: checked.room, error: { code: ChatErrorCode.BadRequest, message: checked.message } });
      return;
    }
    const { room, key, mid, body } = checked;
    const refuse = (code: ChatErrorCode, message: string): void => answer(session, { mid, room, error: { code, message } });
    const target = rooms.get(key);
    try {
      if (!target || !target.members.has(session)) {
        // A mid the room remembers is answered even to a non-member, as the in-memory chat does.
        const earlier = await store.said(key, mid);
        if (earlier) answer(session, { mid, room, ...earlier });
        else refuse(ChatErrorCode.NotMember, 'join the room first');
        return;
      }
      if (sizer.encodeSharedRef(body).byteLength > o.maxBodyBytes) {
        refuse(ChatErrorCode.TooLarge, `body is over ${o.maxBodyBytes} bytes`);
        return;
      }
      const draft = { ts: Math.floor(server.clock.now()), from: o.from(session), body, mid };
      const appended = await store.append(key, draft, o);
      const said = (): void => answer(session, { mid, room, id: appended.id, ts: appended.ts });
      // As in the in-memory chat, the sender hears chat/said after its message was handed to the members.
      if (!appended.fresh || target.closed || target.last >= appended.id) said();
      else target.waiters.push({ id: appended.id, answer: said });
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      refuse(err.code, err.message);
    }
  };

  const offAvailable = store.on('available', () => {
    // Entries may have expired while the store was away.
    void presence.renew();
    // The subscription was re-established: fetch whatever was published while it was not.
    for (const room of rooms.values()) {
      if (room.held || room.closed) continue;
      room.held = [];
      void catchUp(room);
    }
  });

  const undo = [
    server.handle('chat/join', (payload, { session }) => join(payload, session)),
    server.handle('chat/leave', async (payload, { session }) => {
      if (rejoining.size > 0) await settled(session);
      const room = field(payload, 'room');
      const target = rooms.get(keyOf(room));
      // Answered once the other processes no longer list the session there, or, when the store cannot be reached,
      // once it is no member here: a leave is never refused (the preset has already forgotten the room), and the
      // entry left behind expires presenceTtlMs after its last renewal.
      if (target?.members.has(session)) await leave(session, target);
      return { room };
    }),
    server.handle('chat/history', async (payload, { session }) => {
      if (rejoining.size > 0) await settled(session);
      const target = memberOf(payload, session);
      const { before, limit } = historyPage(payload, o.historyLimit, o.maxHistoryLimit);
      return store.page(target.key, before, limit);
    }),
    server.handle('chat/presence', async (payload, { session }) => {
      if (rejoining.size > 0) await settled(session);
      const target = memberOf(payload, session);
      return { room: field(payload, 'room'), ...(await store.presence(target.key, o.maxPresence)) };
    }),
    server.on('chat/say', (payload, { session }) => say(payload, session)),
    server.events.on('connection', ({ session, resumed }) => {
      if (!resumed || !(session instanceof Session)) return;
      const notes = session.takeRestoredNotes('room:');
      if (!notes) return;
      const all: Promise<void>[] = [];
      for (const [key, value] of notes) all.push(rejoin(session, key, Number(value)));
      if (all.length === 0) return;
      rejoining.set(session, Promise.all(all).then(() => void rejoining.delete(session)));
    }),
    server.events.on('sessionEnd', ({ session, reason }) => {
      // A copy that moved on, or that a closing server left in the session store, leaves no tombstone: the session may
      // live on elsewhere and be listed there (without a session store nobody else holds a copy to keep out).
      for (const room of [...(joined.get(session) ?? [])]) void leave(session, room, reason === 'moved' || reason === 'server_closed');
    }),
    // Sessions end after this (and leave their rooms); no renewal is due once the server has closed.
    server.events.on('close', () => presence.stop()),
    offAvailable,
  ];

  return {
    get rooms() {
      return rooms.size;
    },
    close() {
      for (const off of undo.splice(0)) off();
      presence.stop();
      for (const room of [...rooms.values()]) {
        for (const member of room.members) void presence.hide(room.key, member);
        close(room);
      }
      joined.clear();
    },
  };
}
