import { MsgpackEncoder } from '../../src/wire/msgpack/encoder';
import { ChatError, ChatErrorCode } from '../core/errors';
import type { ReferenceServer } from '../core/server';
import type { ServerState } from '../core/state';
import type { ServerSession } from '../core/types';
import { Session } from '../sessions/session';
import { keptMemoryStore } from './memory-store';
import { type InstallChatOptions, resolveChatOptions } from './options';
import { bodyDigest, checkSay, field, historyPage, keyOf } from './payload';
import { PresenceKeeper } from './presence-keeper';
import { type LocalRoom, noteRoom, RoomFeed, roomTables, type RoomTables, SMALL_IDS_NOTE } from './rooms';

/*
 * The chat module: rooms over reliable delivery, built from the server's public API, over a chat store that gives ids
 * and keeps history and dedupe (in memory by default, or shared by several processes). Its wire contract (topics and
 * payloads) is documented on `installChat`; the client's chat preset is written against it. Presence (who is in a room)
 * is kept in the store by a PresenceKeeper: members are listed where they join.
 */

/** A chat module installed on a server. */
export interface Chat {
  /**
   * Rooms with members here now; a room closes here when its last member leaves (or its session ends), and its history
   * stays in the store for `roomTtlMs`, for members who come back.
   */
  readonly rooms: number;
  /**
   * Removes the chat's handlers and listeners from the server and frees every room, unless the rooms live in a state
   * that outlives the server (`createServer({ state })`): a chat installed on the next server takes them over.
   */
  close(): void;
}

/** What `chat/said` answers to `chat/say`: the id the message got, or why it was refused. */
export type ChatSaid =
  | { mid: string; room: unknown; id: number; ts: number }
  | { mid: string | null; room: unknown; error: { code: ChatErrorCode; message: string } };

/**
 * Installs chat rooms on `server`:
 *
 * - REQUEST `chat/join` `{room}` → `{room, lastId}`: the session joins (membership survives a resume). Ids increase
 *   within a room and never go back: a new room starts from the clock (`lastId` is then that base);
 * - REQUEST `chat/leave` `{room}` → `{room}`;
 * - RELIABLE (or PUSH) `chat/say` `{room, mid, body}`: every member session gets RELIABLE `room/<room>/message`
 *   `{id, ts, from, body, mid}` (the sender too; an absent member when it resumes), then the sender gets RELIABLE
 *   `chat/said` `{mid, room, id, ts}`, or `{mid, room, error: {code, message}}`. `mid`s are unique per room: a `mid`
 *   the room remembers with the same body is answered with its first `chat/said` again and not broadcast again, with
 *   another body refused `mid_conflict`;
 * - REQUEST `chat/history` `{room, before?, limit?}` → `{messages, evictedUpTo}`, oldest first, ids below `before`;
 *   `evictedUpTo` is the newest id no longer kept (a new room's base while none was dropped), so a client knows what
 *   it can no longer recover;
 * - REQUEST `chat/presence` `{room}` → `{room, members, count}`: the `publicId`s of the room's member sessions (on
 *   every process with a `store`), ascending, each once, at most `maxPresence` of them; `count` is how many in all.
 *   A member whose client is away stays listed until its session ends, as it stays a member.
 *
 * A room is a string of 1–64 characters without `/`, `+` or `#`, or a non-negative integer; `42` and `'42'` are the
 * same room. Request failures are FAIL `bad_request`, `not_member` (`chat/history` and `chat/presence` are for members)
 * or `too_many_rooms`, and with a `store` `unavailable`.
 * @throws {UsageError} `invalid_option` naming a bad option.
 */
export function installChat(server: ReferenceServer, options: Readonly<Partial<InstallChatOptions>> = {}): Chat {
  const o = resolveChatOptions(options);
  // Without a store of its own the chat keeps it all (rooms, history, membership, mid dedupe) in the server's state,
  // so that a chat on the next server built on a shared state takes it over.
  const own = o.store === undefined;
  const store = o.store ?? keptMemoryStore(server.state, { clock: server.clock, roomTtlMs: o.roomTtlMs, maxRooms: o.maxRooms });
  const tables = own ? keptRooms(server.state) : roomTables();
  const { rooms, joined } = tables;
  /** Sessions moved here re-joining their rooms: their chat requests wait for it, so that none is refused meanwhile. */
  const rejoining = new Map<ServerSession, Promise<void>>();
  /** What to await first: nothing (and so no extra turn) unless `session` is re-joining. */
  const settled = (session: ServerSession): Promise<void> | undefined => rejoining.get(session);
  const sizer = new MsgpackEncoder({ maxDepth: 64 });
  // A leave's tombstone outlives any older copy of the session that a process cut from the store may still hold and
  // renew: such a copy ends with its resume window at the latest, and its last renewal expires presenceTtlMs later.
  const presence = new PresenceKeeper(server.clock, store, o.presenceTtlMs, server.resumeWindowMs + o.presenceTtlMs, () => rooms.values());
  const feed = new RoomFeed(server, store, tables, () => presence.idle());
  // Rooms kept from a chat on an earlier server: their messages go to this server's sessions from now on.
  for (const room of rooms.values()) feed.listen(room);

  const answer = (session: ServerSession, said: ChatSaid): void => {
    // One slow client must not fail the handler: its session ends and it resyncs.
    session.sendReliable('chat/said', said, { ifFull: 'end-session' });
  };

  /**
   * Resolves once the store has removed the session's presence there, or could not (the entry then stays listed until
   * it expires, presenceTtlMs after its last renewal). `moved`: no tombstone (see the sessionEnd listener). `livesOn`:
   * the session lives on elsewhere and stays a member there, so its note of the room is kept.
   */
  const leave = (session: ServerSession, room: LocalRoom, moved = false, livesOn = false): Promise<void> => {
    feed.remove(session, room, !livesOn);
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
    if (field(payload, 'ids') === 'small') feed.countFromEpochs(session);
    let target = rooms.get(key);
    const wasMember = target !== undefined && target.members.has(session);
    if (!target || !wasMember) {
      const mine = joined.get(session);
      if ((mine?.size ?? 0) >= o.maxRoomsPerSession) throw new ChatError(ChatErrorCode.TooManyRooms, `at most ${o.maxRoomsPerSession} rooms per session`);
      target = feed.open(key);
      feed.add(session, target);
    }
    // Listed everywhere before the answer, so that whoever asks after it, on any process, sees the session (a join
    // again lists it again, should its entry have gone).
    const shown = presence.show(key, session);
    try {
      await Promise.all([target.opened, shown]);
      if (!own) await feed.caughtUp(target);
    } catch (err) {
      if (!wasMember) void leave(session, target);
      throw err;
    }
    if (target.members.has(session)) noteRoom(session, key, target.last);
    return tables.small.has(session) ? { room, lastId: target.last, epoch: target.epoch } : { room, lastId: target.last };
  };

  /**
   * A session moved here from another process (shared session store) was a member of the room `key` and had been
   * handed its messages up to `after`: hand it the ones since, from the history, then make it a member here.
   */
  const rejoin = async (session: Session, key: string, after: number): Promise<void> => {
    const target = feed.open(key);
    let last = after;
    try {
      await target.opened;
      feed.announce(target, [session]);
      // Bounded: each round fetches up to the newest id handed here, which only moves while we await.
      for (let round = 0; round < 100 && !target.closed && !session.ended && target.last > last; round++) {
        for (const message of await store.range(key, last, target.last + 1)) {
          if (message.id <= last || session.ended) continue;
          feed.sendTo(session, target, message);
          last = message.id;
        }
      }
    } catch {
      // The store is away: the session stays out of the room (its client's next resync joins it again).
    }
    if (target.closed || session.ended || last < target.last || target.members.has(session)) {
      if (target.members.size === 0 && !target.closed) feed.close(target);
      return;
    }
    feed.add(session, target);
    noteRoom(session, key, last);
    // Its entry is this copy's from now on: the copy it left behind on the other process removes nothing when it ends.
    await presence.show(key, session).catch(() => undefined);
  };

  const say = (payload: unknown, session: ServerSession): void | Promise<void> => {
    const checked = checkSay(payload);
    if (!('key' in checked)) {
      answer(session, { mid: checked.mid, room: checked.room, error: { code: ChatErrorCode.BadRequest, message: checked.message } });
      return;
    }
    const { room, key, mid, body } = checked;
    const refuse = (code: ChatErrorCode, message: string): void => answer(session, { mid, room, error: { code, message } });
    const refused = (err: unknown): void => {
      if (!(err instanceof ChatError)) throw err;
      refuse(err.code, err.message);
    };
    const target = rooms.get(key);
    try {
      const member = target !== undefined && target.members.has(session);
      const encoded = sizer.encodeSharedRef(body);
      // Next to its mid the room keeps this, so that a repeated mid is the same say only with the same body.
      const digest = bodyDigest(encoded);
      const tooLarge = member && encoded.byteLength > o.maxBodyBytes;
      if (!member || tooLarge) {
        // A mid the room remembers with this body is answered with its first chat/said (refused if another body).
        return settle(store.said(key, mid, digest), (earlier) => {
          if (earlier) answer(session, { mid, room, ...earlier });
          else if (tooLarge) refuse(ChatErrorCode.TooLarge, `body is over ${o.maxBodyBytes} bytes`);
          else refuse(ChatErrorCode.NotMember, 'join the room first');
        }, refused);
      }
      const draft = { ts: Math.floor(server.clock.now()), from: o.from(session), body, mid };
      return settle(store.append(key, draft, digest, o), (appended) => {
        const said = (): void => answer(session, { mid, room, id: appended.id, ts: appended.ts });
        // chat/said once the line was handed to the members; the handler is done once it answered (see Session.hold).
        if (!appended.fresh || target.closed || target.last >= appended.id) return said();
        return new Promise<void>((resolve) => target.waiters.push({ id: appended.id, answer: () => resolve(said()) }));
      }, refused);
    } catch (err) {
      refused(err);
    }
  };

  const offAvailable = store.on('available', () => {
    // Entries may have expired while the store was away.
    void presence.renew();
    // The subscription was re-established: fetch whatever was published while it was not.
    for (const room of rooms.values()) {
      if (room.held || room.closed) continue;
      room.held = [];
      void feed.catchUp(room);
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
    server.on('chat/say', (payload, { session }) => {
      const first = rejoining.size > 0 ? settled(session) : undefined;
      return first ? first.then(() => say(payload, session)) : say(payload, session);
    }),
    server.events.on('connection', ({ session, resumed }) => {
      if (!resumed || !(session instanceof Session)) return;
      if (session.takeRestoredNotes(SMALL_IDS_NOTE.slice(0, SMALL_IDS_NOTE.indexOf(':') + 1))) feed.countFromEpochs(session);
      const notes = session.takeRestoredNotes('room:');
      if (!notes) return;
      const all: Promise<void>[] = [];
      for (const [key, value] of notes) all.push(rejoin(session, key, Number(value)));
      if (all.length === 0) return;
      rejoining.set(session, Promise.all(all).then(() => void rejoining.delete(session)));
    }),
    server.events.on('sessionEnd', ({ session, reason, livesOn }) => {
      // A copy that moved on, or that a closing server left in the session store, leaves no tombstone: the session may
      // live on elsewhere and be listed there (without a session store nobody else holds a copy to keep out). One that
      // lives on keeps its rooms: only this copy leaves them, and the notes it goes with re-join them where it resumes.
      const moved = livesOn || reason === 'server_closed';
      for (const room of [...(joined.get(session) ?? [])]) void leave(session, room, moved, livesOn);
      tables.small.delete(session);
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
      // Rooms kept in a state that outlives the server are the next chat's to take over.
      if (own && server.state.shared) return;
      for (const room of [...rooms.values()]) {
        for (const member of room.members) void presence.hide(room.key, member);
        feed.close(room);
      }
      joined.clear();
    },
  };
}

/**
 * `next(value)` at once when the store answered at once (the in-memory store: a say is then answered in its own turn),
 * else once it settles; a failure either way goes to `failed`.
 */
function settle<T>(value: T | Promise<T>, next: (value: T) => void | Promise<void>, failed: (err: unknown) => void): void | Promise<void> {
  if (value instanceof Promise) return value.then(next, failed);
  return next(value);
}

const KEPT = Symbol('chat rooms');

/** The rooms the chat keeps in `state` when it has no store of its own, and their members. */
export function keptRooms(state: ServerState): RoomTables {
  return state.kept(KEPT, roomTables);
}
