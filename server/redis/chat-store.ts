import { UsageErrorCode } from '../../src/codes';
import { asError, UsageError } from '../../src/errors';
import { DEFAULT_CODEC_LIMITS } from '../../src/wire/limits';
import { MsgpackDecoder } from '../../src/wire/msgpack/decoder';
import { MsgpackEncoder } from '../../src/wire/msgpack/encoder';
import { Emitter } from '../../src/emitter';
import { DEFAULT_ROOM_TTL_MS } from '../chat/options';
import { type StoredChatMessage, midConflict, type RoomLimits } from '../chat/room';
import type { Appended, ChatDraft, ChatStore, ChatStoreEvents, HistoryPage, PresenceEntry, PresenceMode, PresencePage, RoomListener } from '../chat/store';
import { ChatError, ChatErrorCode } from '../core/errors';
import { Availability, checkedOptions, opened, RedisLink, type RedisLinkOptions } from './link';
import type { RedisTarget } from './client';
import { PRESENCE_SCRIPTS, type PresenceCommands, presenceKeys } from './presence';

/*
 * The chat rooms' shared state on Redis (SCALING.md has the keys and the argument). Per room, all under one hash tag
 * so that the script also runs on a Redis Cluster:
 *
 *   ms:<prefix>:room:{<room>}:id       STRING  the last id given (INCR), first set to the room's base (below)
 *   ms:<prefix>:room:{<room>}:history  ZSET    score id, member "<id>:<msgpack [ts, from, body, mid]>", newest historySize
 *   ms:<prefix>:room:{<room>}:evicted  STRING  the newest id dropped from the history (the base while none was)
 *   ms:<prefix>:room:{<room>}:mids     HASH    mid -> "<id>:<ts>:<digest of the body>", the newest dedupeSize
 *   ms:<prefix>:room:{<room>}:midlog   LIST    the same mids, oldest first, to know which to forget
 *   channel ms:<prefix>:room:{<room>}  pub/sub the history member of each new message
 *   ms:<prefix>:room:{<room>}:presence, :owners, :roster, :left   who is in the room (server/redis/presence.ts)
 *
 * Every key gets `roomTtlMs` again on each message, and the message keys again on each presence write (a join, and the
 * renewal of a member's entry): a room's history outlives its last message and its last member by `roomTtlMs`, as in
 * memory. One script does it all, so a message's id, its place in the
 * history and its publication are one atomic step: publication order is id order.
 *
 * A room without an id key (new, or expired) starts at a base taken from Redis's clock, as `chatIdBase` does in
 * memory (microseconds), so its ids never go back. Ids are handled as strings in the scripts: Lua prints numbers of
 * more than 14 digits in exponent form, which would corrupt the history's scores and members.
 */

/**
 * KEYS[1] the id key, KEYS[3] the evicted key. `startRun` gives a room that has no id key the base of a new run (both
 * keys set to it) and returns it, as a string.
 */
const BASE = `
local function startRun(ttl)
  local t = redis.call('TIME')
  local base = string.format('%.0f', tonumber(t[1]) * 1000000 + math.floor(tonumber(t[2]) / 1000) * 1000)
  redis.call('SET', KEYS[1], base, 'PX', ttl)
  redis.call('SET', KEYS[3], base, 'PX', ttl)
  return base
end
`;

/** KEYS id, history, evicted; ARGV ttl. The room's last id (its base when it has no message yet). */
const OPEN = `${BASE}
return redis.call('GET', KEYS[1]) or startRun(ARGV[1])
`;

// INCR answers 1 only for a room without an id key: then the run starts at its base instead (no extra read per message).
// A remembered mid answers 0 (the same say: same body digest) or 2 (a clash).
const APPEND = `${BASE}
local earlier = redis.call('HGET', KEYS[4], ARGV[1])
if earlier then
  if string.match(earlier, '^[^:]*:[^:]*:(.*)$') ~= ARGV[8] then return {2, earlier} end
  return {0, earlier}
end
local id = redis.call('INCR', KEYS[1])
if id == 1 then
  startRun(ARGV[6])
  id = redis.call('INCR', KEYS[1])
end
id = string.format('%.0f', id)
local entry = id .. ':' .. ARGV[3]
local historySize = tonumber(ARGV[4])
if historySize > 0 then
  redis.call('ZADD', KEYS[2], id, entry)
  local over = redis.call('ZCARD', KEYS[2]) - historySize
  if over > 0 then
    local gone = redis.call('ZRANGE', KEYS[2], over - 1, over - 1, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
    redis.call('SET', KEYS[3], gone[2])
  end
else
  redis.call('SET', KEYS[3], id)
end
if tonumber(ARGV[5]) > 0 then
  redis.call('HSET', KEYS[4], ARGV[1], id .. ':' .. ARGV[2] .. ':' .. ARGV[8])
  redis.call('RPUSH', KEYS[5], ARGV[1])
  if redis.call('LLEN', KEYS[5]) > tonumber(ARGV[5]) then
    redis.call('HDEL', KEYS[4], redis.call('LPOP', KEYS[5]))
  end
end
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
redis.call('PUBLISH', ARGV[7], entry)
return {1, id .. ':' .. ARGV[2]}
`;

/** KEYS id, history, evicted, mids, midlog; ARGV ttl. Keeps a room's message keys, those it has, for `ttl` from now. */
const KEEP = `
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
`;

/** Options of {@link createRedisChatStore}; every field but `url` (or `client`) is optional. */
export interface RedisChatStoreOptions extends RedisLinkOptions {
  /** Namespace of the keys and channels: processes with the same one form one service. Default `default`. */
  prefix: string;
  /**
   * How long a room's keys outlive its last message and its last member, ms; the in-memory store's rule, with the same
   * default: 86,400,000 (24 hours, `DEFAULT_ROOM_TTL_MS`). After that the room starts afresh (no history) and its ids
   * from a new base, above the old ones. It is the store's option, not the chat's: every process shares the keys.
   */
  roomTtlMs: number;
}

interface AppendCommand {
  chatOpen(id: string, history: string, evicted: string, ttlMs: string): Promise<string>;
  chatKeep(k1: string, k2: string, k3: string, k4: string, k5: string, ttlMs: string): Promise<null>;
  chatAppend(k1: string, k2: string, k3: string, k4: string, k5: string, ...args: (string | Buffer)[]): Promise<[number, string]>;
}

/**
 * Opens a chat store on Redis: one connection for commands and one for subscriptions, both failing fast (no offline
 * queue) while Redis is away, and reconnecting by themselves. Resolves once both are ready; pass it as
 * `installChat(server, { store })`.
 * @throws {UsageError} `invalid_option` naming a bad option.
 * @throws {ChatError} (as a rejection) `unavailable` when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function createRedisChatStore(options: Readonly<Partial<RedisChatStoreOptions>> & RedisTarget): Promise<ChatStore> {
  return opened<ChatStore>(new RedisChatStore(options), options.connectTimeoutMs);
}

class RedisChatStore implements ChatStore {
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly link: RedisLink<AppendCommand & PresenceCommands>;
  private readonly availability: Availability;
  private readonly listeners = new Map<string, { room: string; listener: RoomListener }>();
  private readonly events = new Emitter<ChatStoreEvents>();
  private readonly encoder = new MsgpackEncoder({ maxDepth: 64 });
  private readonly decoder = new MsgpackDecoder({ ...DEFAULT_CODEC_LIMITS, maxDepth: 66 });

  constructor(options: Readonly<Partial<RedisChatStoreOptions>> & RedisTarget) {
    const { target, prefix } = checkedOptions(options, invalid);
    this.prefix = prefix;
    this.ttlMs = options.roomTtlMs ?? DEFAULT_ROOM_TTL_MS;
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 1000) invalid('roomTtlMs', String(this.ttlMs));
    // Fail fast rather than queue: a say the store cannot take must be refused now, while the client still holds it.
    this.link = new RedisLink(target);
    const commands = this.link.commands;
    commands.defineCommand('chatAppend', { numberOfKeys: 5, lua: APPEND });
    commands.defineCommand('chatOpen', { numberOfKeys: 3, lua: OPEN });
    commands.defineCommand('chatKeep', { numberOfKeys: 5, lua: KEEP });
    for (const [name, script] of Object.entries(PRESENCE_SCRIPTS)) commands.defineCommand(name, script);
    this.link.listen(this.link.subscriber, 'messageBuffer', (channel: Buffer, entry: Buffer) => this.deliver(channel.toString(), entry));
    this.availability = new Availability(this.link, this.events);
  }

  /** Resolves once both connections are ready. */
  ready(timeoutMs: number): Promise<void> {
    return this.link.whenReady(timeoutMs, () => new ChatError(ChatErrorCode.Unavailable, `redis is not ready after ${timeoutMs} ms`));
  }

  async subscribe(room: string, listener: RoomListener): Promise<number> {
    const channel = this.key(room);
    this.listeners.set(channel, { room, listener });
    await this.call(() => this.link.subscriber.subscribe(channel));
    // Read after SUBSCRIBE returned: anything newer than this id is on its way to us.
    return Number(await this.call(() => this.link.commands.chatOpen(`${channel}:id`, `${channel}:history`, `${channel}:evicted`, String(this.ttlMs))));
  }

  unsubscribe(room: string): void {
    const channel = this.key(room);
    this.listeners.delete(channel);
    // While Redis is away the subscription is gone anyway; autoResubscribe will not bring back what is not wanted.
    this.link.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  async append(room: string, draft: ChatDraft, digest: string, limits: RoomLimits): Promise<Appended> {
    const k = this.key(room);
    const packed = Buffer.from(this.encoder.encodeSharedRef([draft.ts, draft.from, draft.body, draft.mid]));
    const [fresh, said] = await this.call(() =>
      this.link.commands.chatAppend(
        `${k}:id`, `${k}:history`, `${k}:evicted`, `${k}:mids`, `${k}:midlog`,
        draft.mid, String(draft.ts), packed, String(limits.historySize), String(limits.dedupeSize), String(this.ttlMs), k, digest,
      ),
    );
    if (fresh === 2) throw midConflict(draft.mid);
    const { id, ts } = parseSaid(said);
    return { id, ts, fresh: fresh === 1 };
  }

  async said(room: string, mid: string, digest: string): Promise<{ id: number; ts: number } | undefined> {
    const said = await this.call(() => this.link.commands.hget(`${this.key(room)}:mids`, mid));
    if (said === null) return undefined;
    const earlier = parseSaid(said);
    if (earlier.digest !== digest) throw midConflict(mid);
    return { id: earlier.id, ts: earlier.ts };
  }

  async page(room: string, before: number, limit: number): Promise<HistoryPage> {
    const k = this.key(room);
    const upper = before === Infinity ? '+inf' : `(${before}`;
    const [entries, evicted] = await this.call(() =>
      Promise.all([this.link.commands.zrevrangebyscoreBuffer(`${k}:history`, upper, '-inf', 'LIMIT', 0, limit), this.link.commands.get(`${k}:evicted`)]),
    );
    return { messages: entries.reverse().map((entry) => this.decode(entry)), evictedUpTo: Number(evicted ?? 0) };
  }

  async range(room: string, after: number, before: number): Promise<StoredChatMessage[]> {
    const entries = await this.call(() => this.link.commands.zrangebyscoreBuffer(`${this.key(room)}:history`, `(${after}`, before === Infinity ? '+inf' : `(${before}`));
    return entries.map((entry) => this.decode(entry));
  }

  async present(room: string, entries: readonly PresenceEntry[], ttlMs: number, mode: PresenceMode): Promise<void> {
    if (entries.length === 0) return;
    const args: string[] = [String(ttlMs), mode, String(Math.max(this.ttlMs, ttlMs))];
    for (const { publicId, owner } of entries) args.push(publicId, owner);
    // The presence keys and the message keys outlive the last renewal by roomTtlMs, as the message keys outlive the last
    // message: a room with members keeps its history however long it stays silent.
    const k = this.key(room);
    await this.call(() =>
      Promise.all([
        this.link.commands.chatPresent(...presenceKeys(k), ...args),
        this.link.commands.chatKeep(`${k}:id`, `${k}:history`, `${k}:evicted`, `${k}:mids`, `${k}:midlog`, String(this.ttlMs)),
      ]),
    );
  }

  async absent(room: string, entry: PresenceEntry, rememberMs: number): Promise<void> {
    const remember = String(Math.max(0, Math.floor(rememberMs)));
    await this.call(() => this.link.commands.chatAbsent(...presenceKeys(this.key(room)), entry.publicId, entry.owner, remember));
  }

  async presence(room: string, limit: number): Promise<PresencePage> {
    const [count, members] = await this.call(() => this.link.commands.chatPresence(...presenceKeys(this.key(room)), String(limit)));
    return { members, count };
  }

  on<K extends keyof ChatStoreEvents & string>(event: K, listener: (context: ChatStoreEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  close(): Promise<void> {
    return this.link.close(() => this.listeners.clear());
  }

  /** The room's key base and channel name; the room is escaped so that `:`, `{` and `}` in it change nothing. */
  private key(room: string): string {
    return `ms:${this.prefix}:room:{${encodeURIComponent(room)}}`;
  }

  /** Runs a Redis call; any failure (Redis away, a timeout) becomes ChatError `unavailable`. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const error = asError(err);
      this.availability.lost(error);
      throw new ChatError(ChatErrorCode.Unavailable, `the chat store is unavailable: ${error.message}`);
    }
  }

  private deliver(channel: string, entry: Buffer): void {
    const target = this.listeners.get(channel);
    if (!target) return;
    let message: StoredChatMessage;
    try {
      message = this.decode(entry);
    } catch (err) {
      this.events.emit('error', { error: asError(err) });
      return;
    }
    try {
      // Ids in a room have no holes: the one before is the room's previous message.
      target.listener(message, message.id - 1);
    } catch (err) {
      // No frame here can carry it (over maxFrameBytes): nobody here is sent it, and the history keeps it.
      if (!(err instanceof UsageError)) throw err;
    }
  }

  /** A history member `<id>:<msgpack [ts, from, body, mid]>` back into its message. */
  private decode(entry: Buffer): StoredChatMessage {
    const colon = entry.indexOf(0x3a);
    const [ts, from, body, mid] = this.decoder.decodeAll(entry.subarray(colon + 1))[0] as [number, unknown, unknown, string];
    return { id: Number(entry.toString('latin1', 0, colon)), ts, from, body, mid };
  }
}

/** A `mids` value, `<id>:<ts>:<digest>`. */
function parseSaid(said: string): { id: number; ts: number; digest: string | undefined } {
  const [id, ts, digest] = said.split(':');
  return { id: Number(id), ts: Number(ts), digest };
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `redis chat store option ${name} is invalid: ${shown}`);
}
