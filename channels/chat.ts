import {
  type Channel,
  type ConnectionManager,
  DisconnectedError,
  DisconnectedErrorCode,
  Emitter,
  type OpenOptions,
  RemoteError,
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
  /** Messages in `room` between `afterId` and `beforeId` could not be recovered (older than the server's history). */
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
}

interface PendingSay {
  resolve(said: Said): void;
  reject(error: Error): void;
  room: RoomId;
  body: unknown;
}

/** A chat channel: rooms, reliable messages, history, and recovery after a lost session. */
export interface ChatChannel {
  readonly channel: Channel;
  /** Joins a room; it is re-joined automatically after a reconnect that did not resume. */
  join(room: RoomId): Promise<unknown>;
  leave(room: RoomId): Promise<unknown>;
  /** Sends a message; resolves with the server's id and timestamp once it is stored. */
  say(room: RoomId, body: unknown): Promise<Said>;
  /** Receives each message of `room` once, in id order; returns the unsubscribe function. */
  onMessage<B = unknown>(room: RoomId, fn: (message: ChatMessage<B>) => void): () => void;
  /** Up to `limit` messages before `before` (default: the newest), oldest first. */
  history(room: RoomId, options?: { before?: number; limit?: number }): Promise<ChatMessage[]>;
  on<K extends keyof ChatEvents & string>(event: K, fn: (context: ChatEvents[K]) => void): () => void;
  readonly rooms: ReadonlySet<RoomId>;
  close(): void;
}

/**
 * Opens a chat channel on `manager`: outbox `queue`, heartbeat 15 s / 10 s, reconnect defaults from the runtime.
 * @throws {UsageError} as `manager.open`.
 */
export function chatChannel(options: ChatOptions): ChatChannel {
  const { manager, name = 'chat', historyPageSize = 200, requestTimeoutMs = 10_000, ...channelOptions } = options;
  const channel = manager.open(name, {
    outbox: { policy: 'queue' },
    heartbeat: { intervalMs: 15_000, timeoutMs: 10_000 },
    ...channelOptions,
    url: options.url,
  });
  const events = new Emitter<ChatEvents>();
  const rooms = new Set<RoomId>();
  const handlers = new Map<string, Set<(message: ChatMessage) => void>>();
  /** Highest id delivered per room: anything at or below it is a duplicate. */
  const lastId = new Map<string, number>();
  /** Rooms catching up from history: live messages wait here so order holds. */
  const catchingUp = new Map<string, ChatMessage[]>();
  const pendingSays = new Map<string, PendingSay>();
  /** Rooms being re-joined after a lost session: a say refused there as `not_member` waits for the re-join. */
  const rejoining = new Set<string>();
  const midPrefix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  let midCounter = 0;

  const key = (room: RoomId) => String(room);

  const deliver = (message: ChatMessage) => {
    const k = key(message.room);
    if (message.id <= (lastId.get(k) ?? 0)) return;
    lastId.set(k, message.id);
    for (const fn of [...(handlers.get(k) ?? [])]) {
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
    const roomId = [...rooms].find((r) => key(r) === room) ?? room;
    const message: ChatMessage = { ...raw, room: roomId };
    const waiting = catchingUp.get(key(roomId));
    if (waiting) waiting.push(message);
    else deliver(message);
  });

  channel.subscribe('chat/said', (payload) => {
    const said = payload as { mid: string; room: RoomId; id?: number; ts?: number; error?: { code: string; message: string } };
    const pending = pendingSays.get(said.mid);
    if (!pending) return; // an answer repeated after a resync, already settled
    // Re-sent by the runtime in the new session before the room was re-joined: it goes again after the re-join.
    if (said.error?.code === 'not_member' && rejoining.has(key(pending.room))) return;
    pendingSays.delete(said.mid);
    if (said.error) pending.reject(new RemoteError(said.error.code, said.error.message, 'chat/say'));
    else pending.resolve({ room: said.room, id: said.id as number, ts: said.ts as number, mid: said.mid });
  });

  const fetchHistory = async (room: RoomId, page: { before?: number; limit?: number }): Promise<ChatMessage[]> => {
    const reply = (await channel.request('chat/history', { room, ...page }, { timeoutMs: requestTimeoutMs })) as {
      messages: Omit<ChatMessage, 'room'>[];
    };
    return reply.messages.map((m) => ({ ...m, room }));
  };

  /** Fetches everything after the last delivered id, page by page backwards, then delivers it in order. */
  const catchUp = async (room: RoomId) => {
    const k = key(room);
    catchingUp.set(k, catchingUp.get(k) ?? []);
    try {
      const since = lastId.get(k) ?? 0;
      const found: ChatMessage[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await fetchHistory(room, { before, limit: historyPageSize });
        found.unshift(...page.filter((m) => m.id > since));
        const oldest = page[0];
        if (!oldest || oldest.id <= since + 1 || page.length < historyPageSize) {
          if (since > 0 && oldest && oldest.id > since + 1 && page.length < historyPageSize) {
            events.emit('missed', { room, afterId: since, beforeId: oldest.id });
          }
          break;
        }
        before = oldest.id;
      }
      for (const message of found) deliver(message);
    } finally {
      const waiting = catchingUp.get(k) ?? [];
      catchingUp.delete(k);
      for (const message of waiting) deliver(message);
    }
  };

  channel.on('resync', () => {
    const joined = [...rooms];
    for (const room of joined) rejoining.add(key(room));
    void Promise.all(
      joined.map(async (room) => {
        try {
          await channel.request('chat/join', { room }, { timeoutMs: requestTimeoutMs });
        } finally {
          rejoining.delete(key(room));
        }
        // Says still unanswered may have been refused before the re-join, or acknowledged in the lost session with
        // their answer lost: send them again. The server recognises each mid and answers with the original id.
        for (const [mid, pending] of pendingSays) {
          if (key(pending.room) !== key(room)) continue;
          channel.sendReliable('chat/say', { room, mid, body: pending.body }).catch((error: Error) => {
            if (pendingSays.delete(mid)) pending.reject(error);
          });
        }
        await catchUp(room);
      }),
    ).then(
      () => events.emit('resynced', { rooms: joined }),
      (error: unknown) => events.emit('error', error as Error),
    );
  });

  channel.on('state', ({ next }) => {
    if (next !== 'closed') return;
    for (const pending of pendingSays.values()) pending.reject(new DisconnectedError(DisconnectedErrorCode.Closed, 'the chat channel closed'));
    pendingSays.clear();
  });

  return {
    channel,
    rooms,
    async join(room) {
      const reply = await channel.request('chat/join', { room }, { timeoutMs: requestTimeoutMs });
      rooms.add(room);
      // Messages from before the join are history, not missed: start counting from the room's newest id.
      const newest = (reply as { lastId?: unknown } | null)?.lastId;
      if (typeof newest === 'number' && !lastId.has(key(room))) lastId.set(key(room), newest);
      return reply;
    },
    async leave(room) {
      const reply = await channel.request('chat/leave', { room }, { timeoutMs: requestTimeoutMs });
      rooms.delete(room);
      return reply;
    },
    say(room, body) {
      const mid = `${midPrefix}-${++midCounter}`;
      return new Promise<Said>((resolve, reject) => {
        pendingSays.set(mid, { resolve, reject, room, body });
        channel.sendReliable('chat/say', { room, mid, body }).catch((error: Error) => {
          if (pendingSays.delete(mid)) reject(error);
        });
      });
    },
    onMessage<B>(room: RoomId, fn: (message: ChatMessage<B>) => void) {
      const k = key(room);
      let set = handlers.get(k);
      if (!set) handlers.set(k, (set = new Set()));
      set.add(fn as (message: ChatMessage) => void);
      return () => {
        set?.delete(fn as (message: ChatMessage) => void);
      };
    },
    history: (room, page = {}) => fetchHistory(room, page),
    on: (event, fn) => events.on(event, fn),
    close: () => channel.close(),
  };
}
