import {
  backoffDelay,
  type BackoffOptions,
  type Channel,
  type ConnectionManager,
  DisconnectedError,
  DisconnectedErrorCode,
  Emitter,
  type OpenOptions,
  RemoteError,
  type TimerHandle,
} from '../src';

/*
 * The chat preset, built only from src/'s public pieces. Reliable by default: `say` travels as RELIABLE `chat/say`
 * {room, mid, body}, and the server answers RELIABLE `chat/said` {mid, room, id, ts} (or {mid, room, error}) and sends
 * every member RELIABLE `room/<room>/message` {id, ts, from, body, mid}. Message ids increase per room, which is what
 * lets this preset deliver each message once, in order, even across a lost session (resync from history).
 */

/** A room id as the server knows it. */
export type RoomId = string | number;

/** One chat message as delivered to `onMessage`. */
export interface ChatMessage<B = unknown> {
  readonly room: RoomId;
  /** Server-assigned, strictly increasing within the room. */
  readonly id: number;
  /** Server time, ms. */
  readonly ts: number;
  /** The sender's session or user id, as the server names it. */
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

interface PendingSay {
  resolve(said: Said): void;
  reject(error: Error): void;
  room: RoomId;
  body: unknown;
  /** Refused as `not_member` while its room's join was in flight: to be sent again once it is through. */
  refused: boolean;
  /** `unavailable` refusals so far, and when the first came (clock time). */
  unavailable: number;
  firstUnavailableAt: number;
  /** The timer that sends it again after an `unavailable` refusal. */
  retryTimer: TimerHandle | undefined;
}

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
   * refusals reject with a `RemoteError` at once.
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

/**
 * Opens a chat channel on `manager`: outbox `queue`, heartbeat 15 s / 10 s, received frames handled at most 1 ms per
 * turn (`receiveTurnMs`), reconnect defaults from the runtime.
 * @throws {UsageError} as `manager.open`.
 */
export function chatChannel(options: ChatOptions): ChatChannel {
  const { manager, name = 'chat', historyPageSize = 200, requestTimeoutMs = 10_000, sayRetry } = options;
  const retryPolicy: SayRetryOptions = Object.assign({}, DEFAULT_SAY_RETRY, sayRetry);
  // The preset's own options ride along: the channel reads only its own.
  const defaults: OpenOptions = {
    url: options.url,
    outbox: { policy: 'queue' },
    heartbeat: { intervalMs: 15_000, timeoutMs: 10_000 },
    // A burst of chat (a busy room, a catch-up from history) is handled 1 ms per turn, so the game channel's messages
    // are not held up behind it.
    receiveTurnMs: 1,
  };
  const channel = manager.open(name, Object.assign(defaults, options));
  const events = new Emitter<ChatEvents>();
  const rooms = new Set<RoomId>();
  const handlers = new Map<string, Set<(message: ChatMessage) => void>>();
  /** Highest id delivered per room: anything at or below it is a duplicate. */
  const lastId = new Map<string, number>();
  /** Rooms recovering after a lost session: live messages wait here (bounded) so order holds; value: the gap's start. */
  const recovering = new Map<string, { since: number; buffer: ChatMessage[] }>();
  /** Rooms whose recovery failed (the connection dropped again, say): retried on the next open. */
  const retry = new Set<RoomId>();
  /** Rooms with a join in flight: a say refused meanwhile as `not_member` waits for it. */
  const joining = new Set<string>();
  const pendingSays = new Map<string, PendingSay>();
  const midPrefix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  let midCounter = 0;

  const key = (room: RoomId) => String(room);
  const MAX_BUFFERED = 10_000;

  const deliver = (message: ChatMessage) => {
    const k = key(message.room);
    if (message.id <= (lastId.get(k) || 0)) return;
    lastId.set(k, message.id);
    for (const fn of [...(handlers.get(k) || [])]) {
      try {
        fn(message);
      } catch (error) {
        events.emit('error', error as Error);
      }
    }
  };

  channel.subscribe('room/+/message', (payload, meta) => {
    const raw = payload as Omit<ChatMessage, 'room'>;
    const room = meta.topic.slice('room/'.length, -'/message'.length);
    // The id as the application joined it (7, not '7'), found without copying the set per message.
    let roomId: RoomId = room;
    for (const r of rooms) {
      if (key(r) === room) {
        roomId = r;
        break;
      }
    }
    const message: ChatMessage = Object.assign({}, raw, { room: roomId });
    const pending = recovering.get(key(roomId));
    if (pending && pending.buffer.length < MAX_BUFFERED) pending.buffer.push(message);
    else deliver(message);
  });

  /** Sends (again) a pending say; a failure settles it instead of poisoning whatever loop called this. */
  const sendSay = (mid: string, pending: PendingSay) => {
    pending.refused = false;
    cancelRetry(pending);
    try {
      channel.sendReliable('chat/say', { room: pending.room, mid, body: pending.body }).catch((error: Error) => {
        if (pendingSays.delete(mid)) pending.reject(error);
      });
    } catch (error) {
      if (pendingSays.delete(mid)) pending.reject(error as Error);
    }
  };

  /** The channel's own clock, so a test's manual clock drives the retries as it drives every other timer. */
  const { clock, random } = channel.options;

  const cancelRetry = (pending: PendingSay) => {
    if (pending.retryTimer === undefined) return;
    clock.clearTimeout(pending.retryTimer);
    pending.retryTimer = undefined;
  };

  /**
   * A say refused as `unavailable` (nothing stored): sent again later with the same `mid`, while within the retry
   * limit. Returns false when it is over, and the refusal is the answer.
   */
  const retryUnavailable = (mid: string, pending: PendingSay): boolean => {
    const now = clock.now();
    if (pending.unavailable === 0) pending.firstUnavailableAt = now;
    const delay = backoffDelay(pending.unavailable, retryPolicy, random);
    if (!(retryPolicy.limitMs > 0) || now + delay - pending.firstUnavailableAt > retryPolicy.limitMs) return false;
    pending.unavailable++;
    cancelRetry(pending);
    pending.retryTimer = clock.setTimeout(() => {
      pending.retryTimer = undefined;
      // Settled meanwhile (its answer came after a resync's re-send), or the channel closed: nothing to send.
      if (pendingSays.get(mid) === pending) sendSay(mid, pending);
    }, delay);
    return true;
  };

  /** After a join: says refused before it (or, after a lost session, every unanswered one) go again. */
  const resendSays = (room: RoomId, all: boolean) => {
    for (const [mid, pending] of [...pendingSays]) {
      if (key(pending.room) === key(room) && (all || pending.refused)) sendSay(mid, pending);
    }
  };

  channel.subscribe('chat/said', (payload) => {
    const said = payload as { mid: string; room: RoomId; id?: number; ts?: number; error?: { code: string; message: string } };
    const pending = pendingSays.get(said.mid);
    if (!pending) return; // an answer repeated after a resync, already settled
    const k = key(pending.room);
    // Sent before its room's join reached the server (a join in flight, or a re-join after a lost session, which the
    // runtime's re-sends overtake): it goes again once the join is through.
    if (said.error?.code === 'not_member' && (joining.has(k) || recovering.has(k))) {
      pending.refused = true;
      return;
    }
    // The server's store is away (nothing stored): the same mid goes again after a backoff, bounded by sayRetry.
    if (said.error?.code === 'unavailable' && retryUnavailable(said.mid, pending)) return;
    pendingSays.delete(said.mid);
    if (said.error) pending.reject(new RemoteError(said.error.code, said.error.message, 'chat/say'));
    else pending.resolve({ room: said.room, id: said.id as number, ts: said.ts as number, mid: said.mid });
  });

  const fetchHistory = async (room: RoomId, page: { before?: number; limit?: number }) => {
    const reply = (await channel.request('chat/history', Object.assign({ room }, page), { timeoutMs: requestTimeoutMs })) as {
      messages: Omit<ChatMessage, 'room'>[];
      evictedUpTo?: number;
    };
    return { messages: reply.messages.map((m) => Object.assign({}, m, { room })), evictedUpTo: reply.evictedUpTo || 0 };
  };

  /** Everything after `since`, page by page backwards; reports what the history no longer holds. */
  const catchUp = async (room: RoomId, since: number): Promise<ChatMessage[]> => {
    const found: ChatMessage[] = [];
    let before: number | undefined;
    let evictedUpTo = 0;
    for (;;) {
      const page = await fetchHistory(room, { before, limit: historyPageSize });
      evictedUpTo = Math.max(evictedUpTo, page.evictedUpTo);
      const fresh = page.messages.filter((m) => m.id > since);
      found.unshift(...fresh);
      // Stop at an empty page (the start of the history) or at one that reaches back to what was already delivered.
      if (page.messages.length === 0 || fresh.length < page.messages.length) break;
      before = (page.messages[0] as ChatMessage).id;
    }
    if (evictedUpTo > since) events.emit('missed', { room, afterId: since, beforeId: found[0]?.id ?? evictedUpTo + 1 });
    return found;
  };

  /** REQUEST `chat/join`; while it is on its way, says to `room` wait for it (they would be refused `not_member`). */
  const requestJoin = async (room: RoomId): Promise<unknown> => {
    const k = key(room);
    joining.add(k);
    try {
      return await channel.request('chat/join', { room }, { timeoutMs: requestTimeoutMs });
    } finally {
      joining.delete(k);
    }
  };

  /** Re-joins `room` and fetches what was missed since the gap began; on failure it is retried at the next open. */
  const recover = async (room: RoomId) => {
    const k = key(room);
    const state = recovering.get(k) as { since: number; buffer: ChatMessage[] };
    try {
      const joined = await requestJoin(room);
      const newest = (joined as { lastId?: unknown } | null)?.lastId;
      if (typeof newest === 'number' && newest < state.since) {
        // The room's ids went back: a server that numbers a room started afresh from 1 again (this one's servers start
        // from the clock instead, see PROTOCOL.md section 6). Everything it holds is new here; what the old one held
        // after `since` and never arrived is gone, and said so rather than silently skipped.
        events.emit('missed', { room, afterId: state.since, beforeId: Infinity });
        state.since = 0;
        lastId.delete(k);
      }
      if (!rooms.has(room)) {
        // Left while the re-join was in flight: leave again on the server.
        recovering.delete(k);
        await channel.request('chat/leave', { room }, { timeoutMs: requestTimeoutMs }).catch(() => undefined);
        return;
      }
      resendSays(room, true);
      const missed = await catchUp(room, state.since);
      recovering.delete(k);
      retry.delete(room);
      for (const message of missed) deliver(message);
      for (const message of state.buffer) deliver(message);
    } catch (error) {
      // Keep buffering (bounded) and try again when the channel is next open.
      retry.add(room);
      throw error;
    }
  };

  const recoverAll = (roomList: RoomId[]) => {
    // The gap's start and the live-message buffer are fixed now, before any reply can deliver a newer message.
    for (const room of roomList) {
      const k = key(room);
      if (!recovering.has(k)) recovering.set(k, { since: lastId.get(k) || 0, buffer: [] });
    }
    void Promise.all(roomList.map((room) => recover(room))).then(
      () => events.emit('resynced', { rooms: roomList }),
      (error: unknown) => events.emit('error', error as Error),
    );
  };

  channel.on('resync', () => recoverAll([...rooms]));
  channel.on('open', ({ resumed }) => {
    // A recovery that failed earlier is retried on any later connection (a resync starts its own).
    if (resumed && retry.size > 0) recoverAll([...retry].filter((r) => rooms.has(r)));
  });

  channel.on('state', ({ next }) => {
    if (next !== 'closed') return;
    for (const pending of pendingSays.values()) cancelRetry(pending);
    for (const pending of pendingSays.values()) pending.reject(new DisconnectedError(DisconnectedErrorCode.Closed, 'the chat channel closed'));
    pendingSays.clear();
  });

  return {
    channel,
    rooms,
    async join(room) {
      const k = key(room);
      const reply = await requestJoin(room);
      rooms.add(room);
      // Messages from before the join are history, not missed: start counting from the room's newest id.
      const newest = (reply as { lastId?: unknown } | null)?.lastId;
      if (typeof newest === 'number' && !lastId.has(k)) lastId.set(k, newest);
      resendSays(room, false);
      return reply;
    },
    async leave(room) {
      // Forgotten at once, so a resync during the leave does not re-join it.
      rooms.delete(room);
      retry.delete(room);
      try {
        return await channel.request('chat/leave', { room }, { timeoutMs: requestTimeoutMs });
      } catch (error) {
        if (error instanceof RemoteError && error.code === 'not_member') return { room };
        throw error;
      }
    },
    say(room, body) {
      const mid = `${midPrefix}-${++midCounter}`;
      return new Promise<Said>((resolve, reject) => {
        const pending: PendingSay = { resolve, reject, room, body, refused: false, unavailable: 0, firstUnavailableAt: 0, retryTimer: undefined };
        pendingSays.set(mid, pending);
        sendSay(mid, pending);
      });
    },
    onMessage<B>(room: RoomId, fn: (message: ChatMessage<B>) => void) {
      const k = key(room);
      let set = handlers.get(k);
      if (!set) handlers.set(k, (set = new Set()));
      set.add(fn as (message: ChatMessage) => void);
      return () => {
        set.delete(fn as (message: ChatMessage) => void);
      };
    },
    history: async (room, page = {}) => (await fetchHistory(room, page)).messages,
    presence: (room) => channel.request<Presence>('chat/presence', { room }, { timeoutMs: requestTimeoutMs }),
    on: (event, fn) => events.on(event, fn),
    close: () => channel.close(),
  };
}
