import { CHANNEL_OPTION_NAMES, checkOptionNames, Emitter, type OpenOptions, RemoteError } from '../../src';
import { roomKey, Says } from './says';
import { type ChatChannel, type ChatEvents, type ChatMessage, type ChatOptions, DEFAULT_SAY_RETRY, type Presence, type RoomId, type SayRetryOptions } from './types';

/*
 * The chat preset, built only from src/'s public pieces. Reliable by default: `say` travels as RELIABLE `chat/say`
 * {room, mid, body}, and the server answers RELIABLE `chat/said` {mid, room, id, ts} (or {mid, room, error}) and sends
 * every member RELIABLE `room/<room>/message` {id, ts, from, body, mid}. Message ids increase per room, which is what
 * lets this preset deliver each message once, in order, even across a lost session (resync from history).
 */

/** The preset's own options and the channel's (the type makes the first list complete): any other is a typo. */
const CHAT_OPTION_NAMES = [
  ...Object.keys({ manager: 1, name: 1, historyPageSize: 1, requestTimeoutMs: 1, sayRetry: 1 } satisfies Record<Exclude<keyof ChatOptions, keyof OpenOptions>, 1>),
  ...CHANNEL_OPTION_NAMES,
];

/**
 * Opens a chat channel on `manager`: outbox `queue`, heartbeat 15 s / 10 s, received frames handled at most 1 ms per
 * turn (`receiveTurnMs`), reconnect defaults from the runtime.
 * @throws {UsageError} as `manager.open`.
 */
export function chatChannel(options: ChatOptions): ChatChannel {
  checkOptionNames('chatChannel', options, CHAT_OPTION_NAMES);
  checkOptionNames('chatChannel', options.sayRetry, Object.keys(DEFAULT_SAY_RETRY), 'sayRetry.');
  const { manager, name = 'chat', historyPageSize = 200, requestTimeoutMs = 10_000, sayRetry, ...channelOptions } = options;
  const retryPolicy: SayRetryOptions = Object.assign({}, DEFAULT_SAY_RETRY, sayRetry);
  const defaults: OpenOptions = {
    url: options.url,
    outbox: { policy: 'queue' },
    heartbeat: { intervalMs: 15_000, timeoutMs: 10_000 },
    // A burst of chat (a busy room, a catch-up from history) is handled 1 ms per turn, so the game channel's messages
    // are not held up behind it.
    receiveTurnMs: 1,
  };
  const channel = manager.open(name, Object.assign(defaults, channelOptions));
  const events = new Emitter<ChatEvents>();
  const rooms = new Set<RoomId>();
  const handlers = new Map<string, Set<(message: ChatMessage) => void>>();
  /** Highest id delivered per room: anything at or below it is a duplicate. */
  const lastId = new Map<string, number>();
  /** Rooms recovering after a lost session: live messages wait here (bounded) so order holds; value: the gap's start. */
  const recovering = new Map<string, { since: number; buffer: ChatMessage[] }>();
  /** Rooms whose recovery failed (the connection dropped again, say): retried on the next open. */
  const retry = new Set<RoomId>();
  /** Rooms with a join in flight: says made meanwhile, or refused meanwhile as `not_member`, wait for it. */
  const joining = new Set<string>();
  /**
   * Rooms to re-join after a lost session, until the re-join is through (across further cuts): every say to them
   * waits, so that the lost session's says, which the runtime re-sends before the re-join reaches the server and which
   * are refused `not_member`, go again before any later say.
   */
  const rejoining = new Set<string>();
  const key = roomKey;
  const MAX_BUFFERED = 10_000;
  /**
   * Each room's epoch, by key, from the server's RELIABLE `chat/epoch` (before any message that counts from it): a
   * message with `n` has the id `epoch + n` (PROTOCOL.md section 6, small ids). A message with `id` carries it whole.
   */
  const epochs = new Map<string, number>();
  channel.subscribe('chat/epoch', (payload) => {
    const { room, epoch } = (payload || {}) as { room?: unknown; epoch?: unknown };
    if ((typeof room === 'string' || typeof room === 'number') && typeof epoch === 'number') epochs.set(String(room), epoch);
  });

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
    const { n, ...rest } = (raw || {}) as Omit<ChatMessage, 'room'> & { n?: unknown };
    const message: ChatMessage = Object.assign(rest, { room: roomId }, typeof n === 'number' ? { id: (epochs.get(room) || 0) + n } : {});
    const pending = recovering.get(key(roomId));
    if (pending && pending.buffer.length < MAX_BUFFERED) pending.buffer.push(message);
    else deliver(message);
  });

  const says = new Says(channel, retryPolicy, (k) => joining.has(k) || rejoining.has(k));

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

  /**
   * REQUEST `chat/join`; while it is on its way, says to `room` wait for it (they would be refused `not_member`), and
   * go in order the moment it is answered (or fails, and they are refused), unless a re-join still holds them.
   */
  const requestJoin = async (room: RoomId): Promise<unknown> => {
    const k = key(room);
    joining.add(k);
    try {
      // `ids: 'small'`: the room's messages count from an epoch (a few bytes for the id instead of 9); a server that
      // does not know it sends whole ids, which work as before.
      return await channel.request('chat/join', { room, ids: 'small' }, { timeoutMs: requestTimeoutMs });
    } finally {
      joining.delete(k);
      says.release(room);
    }
  };

  /** Re-joins `room` and fetches what was missed since the gap began; on failure it is retried at the next open. */
  const recover = async (room: RoomId) => {
    const k = key(room);
    const state = recovering.get(k) as { since: number; buffer: ChatMessage[] };
    try {
      const joined = await requestJoin(room);
      // The re-join is through: the held says go now, in the order they were said, before any later one.
      rejoining.delete(k);
      says.release(room);
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
      const missed = await catchUp(room, state.since);
      recovering.delete(k);
      retry.delete(room);
      for (const message of missed) deliver(message);
      for (const message of state.buffer) deliver(message);
    } catch (error) {
      // Keep buffering (bounded) and try again when the channel is next open; says to a room left meanwhile go (and
      // are refused) rather than wait for a re-join that will not come.
      retry.add(room);
      if (!rooms.has(room) && rejoining.delete(k)) says.release(room);
      throw error;
    }
  };

  const recoverAll = (roomList: RoomId[]) => {
    // The gap's start and the live-message buffer are fixed now, before any reply can deliver a newer message.
    for (const room of roomList) {
      const k = key(room);
      if (!recovering.has(k)) recovering.set(k, { since: lastId.get(k) || 0, buffer: [] });
      rejoining.add(k);
      says.hold(room);
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
    if (next === 'closed') says.closed();
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
      return reply;
    },
    async leave(room) {
      // Forgotten at once, so a resync during the leave does not re-join it.
      rooms.delete(room);
      retry.delete(room);
      // A re-join that failed is not retried now: the says it held go (and are refused). One in flight releases them.
      if (!joining.has(key(room)) && rejoining.delete(key(room))) says.release(room);
      try {
        return await channel.request('chat/leave', { room }, { timeoutMs: requestTimeoutMs });
      } catch (error) {
        if (error instanceof RemoteError && error.code === 'not_member') return { room };
        throw error;
      }
    },
    say: (room, body) => says.say(room, body),
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
