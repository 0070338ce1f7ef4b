import { MsgpackEncoder } from '../../src/wire/msgpack/encoder';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { type ChatMessage, ChatRoom, chatIdBase } from './room';
import { checkSay, field, historyPage, keyOf } from './payload';
import type { ChatStore } from './store';
import { ChatError, ChatErrorCode } from '../core/errors';
import { installSharedChat } from './shared-chat';
import type { ReferenceServer } from '../core/server';
import type { ServerState } from '../core/state';
import type { ServerSession } from '../core/types';

/*
 * The chat module: rooms over reliable delivery, built from the server's public API. Its wire contract (topics and
 * payloads) is documented on `installChat`; the client's chat preset is written against it.
 */

/** The in-memory chat's rooms, each session's rooms, and the next message id, kept in a {@link ServerState}. */
export interface MemoryChat {
  readonly rooms: Map<string, ChatRoom>;
  readonly joined: Map<ServerSession, Set<ChatRoom>>;
  /** Message ids never go back, across server instances too. */
  nextId: number;
}

const KEPT = Symbol('chat');

/**
 * The in-memory chat kept in `state`: what a chat installed on the next server built on it takes over. Ids start from
 * the clock, so that a process started afresh numbers above the one before it.
 */
export function keptChat(state: ServerState): MemoryChat {
  return state.kept<MemoryChat>(KEPT, () => ({ rooms: new Map(), joined: new Map(), nextId: chatIdBase() + 1 }));
}

/** Options of {@link installChat}; every field is optional and its default is given here. */
export interface ChatOptions {
  /** Messages each room keeps for `chat/history`. Default 1,000. */
  historySize: number;
  /** Recent `mid`s each room remembers, so that a message sent again is answered, not repeated. Default 1,000. */
  dedupeSize: number;
  /** Messages a `chat/history` returns when it gives no `limit`. Default 50. */
  historyLimit: number;
  /** Most messages one `chat/history` returns; a larger `limit` is cut to it. Default 500. */
  maxHistoryLimit: number;
  /** Rooms one session may be in at once. Default 100. */
  maxRoomsPerSession: number;
  /** Largest message `body`, msgpack-encoded, bytes. Default 8,192. */
  maxBodyBytes: number;
  /** Public ids one `chat/presence` lists at most (its `count` is always the true total). Default 1,000. */
  maxPresence: number;
  /**
   * With a `store`: how long a member's presence entry lasts unless its process renews it (every third of this, on
   * the server's clock), ms. A process that dies without removing its members loses them this long after its last
   * renewal. Default 30,000.
   */
  presenceTtlMs: number;
  /** The `from` of a session's messages. Default: `session.publicId` (never the session id, which is a secret). */
  from: (session: ServerSession) => unknown;
  /**
   * Where rooms' ids, history and `mid` dedupe live and how their messages reach every process
   * (`createRedisChatStore`): several server processes on one store form one chat service. Default: none, all in
   * the server's `state`, this process only. Membership always stays with the process holding the session.
   */
  store: ChatStore | undefined;
}

/** A chat module installed on a server. */
export interface Chat {
  /** Rooms held now; a room is freed with its history when its last member leaves (or its session ends). */
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
 *   `chat/said` `{mid, room, id, ts}`, or `{mid, room, error: {code, message}}`. A `mid` the room remembers is
 *   answered with its first `chat/said` again and not broadcast again;
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
export function installChat(server: ReferenceServer, options: Readonly<Partial<ChatOptions>> = {}): Chat {
  const o = resolveChatOptions(options);
  if (o.store) return installSharedChat(server, o, o.store);
  // Kept in the server's state, so that rooms, history, membership and mid dedupe outlive a server built on a shared one.
  const state = server.state;
  const chat = keptChat(state);
  const { rooms, joined } = chat;
  const sizer = new MsgpackEncoder({ maxDepth: 64 });

  const memberRoom = (payload: unknown, session: ServerSession): ChatRoom => {
    const room = rooms.get(keyOf(field(payload, 'room')));
    if (!room || !room.members.has(session)) throw new ChatError(ChatErrorCode.NotMember, 'join the room first');
    return room;
  };

  const leave = (session: ServerSession, room: ChatRoom): void => {
    room.members.delete(session);
    if (room.members.size === 0) rooms.delete(room.key);
    const mine = joined.get(session);
    mine?.delete(room);
    if (mine?.size === 0) joined.delete(session);
  };

  const answer = (session: ServerSession, said: ChatSaid): void => {
    // One slow client must not fail the handler: its session ends and it resyncs.
    session.sendReliable('chat/said', said, { ifFull: 'end-session' });
  };

  const say = (payload: unknown, session: ServerSession): void => {
    const checked = checkSay(payload);
    if (!('key' in checked)) {
      answer(session, { mid: checked.mid, room: checked.room, error: { code: ChatErrorCode.BadRequest, message: checked.message } });
      return;
    }
    const { room, key, mid, body } = checked;
    const refuse = (code: ChatErrorCode, message: string): void => answer(session, { mid, room: room ?? null, error: { code, message } });
    const target = rooms.get(key);
    const earlier = target?.said(mid);
    if (earlier) {
      answer(session, { mid, room, id: earlier.id, ts: earlier.ts });
      return;
    }
    if (!target || !target.members.has(session)) {
      refuse(ChatErrorCode.NotMember, 'join the room first');
      return;
    }
    if (sizer.encodeSharedRef(body).byteLength > o.maxBodyBytes) {
      refuse(ChatErrorCode.TooLarge, `body is over ${o.maxBodyBytes} bytes`);
      return;
    }
    const message: ChatMessage = { id: chat.nextId++, ts: Math.floor(server.clock.now()), from: o.from(session), body, mid };
    try {
      server.broadcastReliable(target.members, target.topic, message);
    } catch (err) {
      // Only a frame over maxFrameBytes gets here, and nothing was sent: the sender must still hear of it.
      if (!(err instanceof UsageError)) throw err;
      refuse(ChatErrorCode.TooLarge, err.message);
      return;
    }
    target.add(message);
    answer(session, { mid, room, id: message.id, ts: message.ts });
  };

  const undo = [
    server.handle('chat/join', (payload, { session }) => {
      const room = field(payload, 'room');
      const key = keyOf(room);
      let target = rooms.get(key);
      if (target?.members.has(session)) return { room, lastId: target.lastId };
      const mine = joined.get(session) ?? new Set<ChatRoom>();
      if (mine.size >= o.maxRoomsPerSession) throw new ChatError(ChatErrorCode.TooManyRooms, `at most ${o.maxRoomsPerSession} rooms per session`);
      if (!target) {
        // Ids are one sequence across the process's rooms: everything below the next one is before this room began.
        target = new ChatRoom(key, o, chat.nextId - 1);
        rooms.set(key, target);
      }
      target.members.add(session);
      mine.add(target);
      joined.set(session, mine);
      return { room, lastId: target.lastId };
    }),
    server.handle('chat/leave', (payload, { session }) => {
      const room = field(payload, 'room');
      const target = rooms.get(keyOf(room));
      if (target?.members.has(session)) leave(session, target);
      return { room };
    }),
    server.handle('chat/history', (payload, { session }) => {
      const room = memberRoom(payload, session);
      const { before, limit } = historyPage(payload, o.historyLimit, o.maxHistoryLimit);
      // evictedUpTo lets a client catching up tell "nothing older" from "older messages are gone".
      return { messages: room.page(before, limit), evictedUpTo: room.evictedUpTo };
    }),
    server.handle('chat/presence', (payload, { session }) => {
      const room = memberRoom(payload, session);
      const ids = [...new Set([...room.members].map((member) => member.publicId))].sort(); // by UTF-16 code units: for the server's ASCII public ids, the store's byte order
      return { room: field(payload, 'room'), members: ids.slice(0, o.maxPresence), count: ids.length };
    }),
    server.on('chat/say', (payload, { session }) => say(payload, session)),
    server.events.on('sessionEnd', ({ session }) => {
      for (const room of [...(joined.get(session) ?? [])]) leave(session, room);
    }),
  ];

  return {
    get rooms() {
      return rooms.size;
    },
    close() {
      for (const off of undo.splice(0)) off();
      if (state.shared) return;
      rooms.clear();
      joined.clear();
    },
  };
}

function resolveChatOptions(options: Readonly<Partial<ChatOptions>>): Readonly<ChatOptions> {
  const resolved: ChatOptions = {
    historySize: options.historySize ?? 1000,
    dedupeSize: options.dedupeSize ?? 1000,
    historyLimit: options.historyLimit ?? 50,
    maxHistoryLimit: options.maxHistoryLimit ?? 500,
    maxRoomsPerSession: options.maxRoomsPerSession ?? 100,
    maxBodyBytes: options.maxBodyBytes ?? 8192,
    maxPresence: options.maxPresence ?? 1000,
    presenceTtlMs: options.presenceTtlMs ?? 30_000,
    from: options.from ?? ((session) => session.publicId),
    store: options.store,
  };
  for (const name of ['historySize', 'dedupeSize', 'maxPresence'] as const) check(name, resolved[name], 0);
  for (const name of ['historyLimit', 'maxHistoryLimit', 'maxRoomsPerSession', 'maxBodyBytes'] as const) check(name, resolved[name], 1);
  // Renewed every third of it: below 30 ms the renewals would be most of the store's work.
  check('presenceTtlMs', resolved.presenceTtlMs, 30);
  if (typeof resolved.from !== 'function') invalid('from', typeof resolved.from);
  return Object.freeze(resolved);
}


function check(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) invalid(name, String(value));
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `chat option ${name} is invalid: ${shown}`);
}
