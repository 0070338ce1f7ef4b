import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../src/time/clock';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { ChatError, ChatErrorCode } from '../core/errors';
import { LOST_SESSION_MEMORY_MS } from '../sessions/lost';
import { checkedOptions, opened, RedisLink, type RedisLinkOptions } from './link';
import type { RedisTarget } from './client';
import { SessionHandoff } from './handoff';
import type { EndedSession, ReleaseSession, SessionWrite, SharedSessionStore, StoredFrame, TakenSession } from '../sessions/store';

/*
 * Sessions on Redis (SCALING.md, phase 2). Per session, under one hash tag so that the scripts also run on a Cluster:
 *
 *   ms:<prefix>:session:{<id>}         HASH    channel, publicId, user (JSON), recv, acked, next, and n:<note> (the chat
 *                                              module's `room:<key>` -> last message id handed to the session)
 *   ms:<prefix>:session:{<id>}:frames  ZSET    score seq, member the encoded RELIABLE frame (it contains its seq)
 *   ms:<prefix>:session:{<id>}:owner   STRING  the owner's token ('' while handed over): the session is live while it
 *                                              exists, for the resume window after the last write
 *
 * Each write sets the owner key and the frames to expire a resume window later, and the hash a `lostSessionMemoryMs`
 * after that: a session whose window passed, on whatever process, even one that was killed and ended nothing, is a
 * hash without an owner key, which a resume reads for WELCOME `previousRecv` until it expires too. A session ended by
 * its process (expired, overflowed) is cut down to that at once (`channel` and `recv` only). Every change is one
 * script that first checks the owner, so a process that lost the session (another took it) changes nothing and
 * learns it from the answer.
 */

const WRITE = `
local o = redis.call('GET', KEYS[3])
if o ~= ARGV[1] and (o or ARGV[6] ~= '1') then return 0 end
if not o and redis.call('EXISTS', KEYS[1]) == 1 then
  -- A new session's meta (a repair of its first write, which did land) for a session that ended here: its window
  -- passed. Not re-created; the highest recv applied is remembered for previousRecv.
  if ARGV[3] ~= '' and redis.call('HEXISTS', KEYS[1], 'channel') == 1 and tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[1], 'recv') or '0') then
    redis.call('HSET', KEYS[1], 'recv', ARGV[3])
  end
  return 0
end
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'channel', ARGV[7], 'publicId', ARGV[8], 'user', ARGV[9], 'recv', 0, 'acked', 0, 'next', 1)
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'recv', ARGV[3]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'next', ARGV[5]) end
local notes = tonumber(ARGV[12])
for i = 13, 12 + notes * 2, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], 'n:' .. ARGV[i]) else redis.call('HSET', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1]) end
end
for i = 13 + notes * 2, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1]) end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'acked', ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
end
local owner = ARGV[1]
if ARGV[11] == '1' then owner = '' end
redis.call('SET', KEYS[3], owner, 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[10]))
return 1
`;

/**
 * ARGV: owner, ttl, memory, and who it may be taken from besides this process and nobody ('*': anyone). Answers
 * {2, recv, channel} for an ended session, {3, owner} when another owner holds it, else {mine, hash, frames}.
 */
const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local o = redis.call('GET', KEYS[3])
if not o then return {2, redis.call('HGET', KEYS[1], 'recv') or '0', redis.call('HGET', KEYS[1], 'channel') or ''} end
if o ~= ARGV[1] and o ~= '' and o ~= ARGV[4] and ARGV[4] ~= '*' then return {3, o} end
local h = redis.call('HGETALL', KEYS[1])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
return {o == ARGV[1] and 1 or 0, h, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
`;

/** ARGV: owner, recv applied, memory. Cuts the session down to what `previousRecv` needs, unless another owns it. */
const REMOVE = `
local o = redis.call('GET', KEYS[3])
if o and o ~= ARGV[1] then return 0 end
local channel = redis.call('HGET', KEYS[1], 'channel')
if not channel then return 0 end
local recv = math.max(tonumber(redis.call('HGET', KEYS[1], 'recv') or '0'), tonumber(ARGV[2]))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[1], 'channel', channel, 'recv', recv)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;

/** What {@link TAKE} answers first: the session ended, or another process owns it. */
const ENDED = 2;
const BUSY = 3;
/** Owners asked in turn (each for up to `handoffTimeoutMs`) before a take no longer waits for anyone. */
const MAX_ASKS = 3;

interface SessionCommands {
  sessionWrite(hash: string, frames: string, ownerKey: string, ...args: (string | Buffer)[]): Promise<number>;
  sessionTakeBuffer(hash: string, frames: string, ownerKey: string, ...args: string[]): Promise<unknown[] | null>;
  sessionRemove(hash: string, frames: string, ownerKey: string, ...args: string[]): Promise<number>;
}

/** Options of {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions extends RedisLinkOptions {
  /** Namespace of the keys: processes with the same one share sessions. Default `default`. */
  prefix: string;
  /**
   * How long Redis remembers a session after its resume window passed (what WELCOME `previousRecv` reports to a client
   * that comes back too late, on any process), ms. Default `LOST_SESSION_MEMORY_MS` (10 minutes).
   */
  lostSessionMemoryMs: number;
  /**
   * This process counts as alive for this long after its last sign of life (a key it sets again every third of it),
   * ms: another process that wants one of its sessions asks it to hand the session over while it is alive, and takes
   * the session at once when it is not (killed, or cut from Redis this long). Default 5,000.
   */
  livenessTtlMs: number;
  /** How long a process waits for a live owner to hand a session over before it takes it anyway, ms. Default 2,000. */
  handoffTimeoutMs: number;
  /** Runs the liveness refresh and the handoff's waits. Default: `systemClock`. */
  clock: Clock;
}

/**
 * Opens a session store on Redis; pass it as `createServer({ sessionStore })`.
 * @throws {UsageError} `invalid_option` for a bad option.
 * @throws {ChatError} (as a rejection) `unavailable` when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function createRedisSessionStore(options: Readonly<Partial<RedisSessionStoreOptions>> & RedisTarget): Promise<SharedSessionStore> {
  return opened<SharedSessionStore>(new RedisSessionStore(options), options.connectTimeoutMs);
}

class RedisSessionStore implements SharedSessionStore {
  readonly owner = randomBytes(6).toString('base64url');
  private readonly prefix: string;
  private readonly memoryMs: number;
  private readonly link: RedisLink<SessionCommands>;
  private readonly handoff: SessionHandoff;

  constructor(options: Readonly<Partial<RedisSessionStoreOptions>> & RedisTarget) {
    const { target, prefix } = checkedOptions(options, invalid);
    this.prefix = prefix;
    this.memoryMs = options.lostSessionMemoryMs ?? LOST_SESSION_MEMORY_MS;
    const livenessTtlMs = options.livenessTtlMs ?? 5_000;
    const handoffTimeoutMs = options.handoffTimeoutMs ?? 2_000;
    const clock = options.clock ?? systemClock;
    checkMs('lostSessionMemoryMs', this.memoryMs, 0);
    checkMs('livenessTtlMs', livenessTtlMs, 30);
    checkMs('handoffTimeoutMs', handoffTimeoutMs, 1);
    if (!clock || typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function') invalid('clock', typeof clock);
    // Fail fast and never resend: a write cut by a lost connection must not land later, after newer ones.
    this.link = new RedisLink(target);
    const commands = this.link.commands;
    commands.defineCommand('sessionWrite', { numberOfKeys: 3, lua: WRITE });
    commands.defineCommand('sessionTake', { numberOfKeys: 3, lua: TAKE });
    commands.defineCommand('sessionRemove', { numberOfKeys: 3, lua: REMOVE });
    // Failures surface on each command (the session's journal reacts); the connections reconnect by themselves.
    for (const redis of this.link.connections) this.link.listen(redis, 'error', () => undefined);
    const askEveryMs = Math.max(10, Math.min(100, Math.floor(handoffTimeoutMs / 4)));
    this.handoff = new SessionHandoff(this.link, { prefix: this.prefix, owner: this.owner, livenessTtlMs, handoffTimeoutMs, askEveryMs, clock });
  }

  onAvailable(listener: () => void): () => void {
    // 'ready' comes once per (re)connection; the first one came before the store was handed out.
    // Through the link, so that an injected client does not keep it past close().
    this.link.listen(this.link.commands, 'ready', listener);
    return () => void this.link.connections[0].off('ready', listener);
  }

  /** Resolves once both connections are ready and this process is known to be alive. */
  ready(timeoutMs: number): Promise<void> {
    return this.link.whenReady(timeoutMs, () => new ChatError(ChatErrorCode.Unavailable, `redis is not ready after ${timeoutMs} ms`), () => this.handoff.start());
  }

  async write(id: string, write: SessionWrite, ttlMs: number): Promise<boolean> {
    const num = (n: number | undefined) => (n === undefined ? '' : String(n));
    const meta = write.meta;
    const args: (string | Buffer)[] = [
      this.owner,
      String(ttlMs),
      num(write.recv),
      num(write.acked),
      num(write.nextSeq),
      meta ? '1' : '',
      meta?.channel ?? '',
      meta?.publicId ?? '',
      meta?.user === undefined ? '' : JSON.stringify(meta.user),
      String(this.memoryMs),
      write.release ? '1' : '',
    ];
    const notes = write.notes ?? new Map<string, string>();
    args.push(String(notes.size));
    for (const [key, value] of notes) args.push(key, value);
    for (const { seq, frame } of write.frames) args.push(String(seq), Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    return (await this.link.commands.sessionWrite(...this.keys(id), ...args)) === 1;
  }

  /**
   * Takes the session; from a live owner only once it handed the session over (or did not answer within
   * `handoffTimeoutMs`), so that what it applied and had not yet written comes with it.
   */
  async take(id: string, ttlMs: number): Promise<TakenSession | EndedSession | undefined> {
    let from = '';
    for (let asked = 0; ; asked++) {
      const answer = await this.link.commands.sessionTakeBuffer(...this.keys(id), this.owner, String(ttlMs), String(this.memoryMs), asked >= MAX_ASKS ? '*' : from);
      if (!answer) return undefined;
      const code = Number(text(answer[0]));
      if (code === BUSY) {
        from = text(answer[1]);
        // Whatever the outcome (handed over, owner dead, no answer in time), the next take may take it from there.
        await this.handoff.ask(from, id);
        continue;
      }
      if (code === ENDED) {
        const channel = text(answer[2]);
        return channel === '' ? undefined : { ended: true, channel, recv: Number(text(answer[1])) };
      }
      return parseTaken(code === 1, answer[1] as Buffer[], answer[2] as Buffer[]);
    }
  }

  async remove(id: string, recv: number): Promise<void> {
    await this.link.commands.sessionRemove(...this.keys(id), this.owner, String(recv), String(this.memoryMs));
  }

  serveReleases(release: ReleaseSession): () => void {
    return this.handoff.serve(release);
  }

  /** Resolves once Redis answers a PING; rejects at once while the connection is down (nothing is queued). */
  ping(): Promise<unknown> {
    return this.link.commands.ping();
  }

  /** Idempotent: a second call gets the first one's promise. */
  close(): Promise<void> {
    return this.link.close(() => this.handoff.close());
  }

  private keys(id: string): [string, string, string] {
    const hash = `ms:${this.prefix}:session:{${id}}`;
    return [hash, `${hash}:frames`, `${hash}:owner`];
  }
}

function parseTaken(wasMine: boolean, flat: Buffer[], zset: Buffer[]): TakenSession | undefined {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set((flat[i] as Buffer).toString(), (flat[i + 1] as Buffer).toString());
  const channel = fields.get('channel');
  const publicId = fields.get('publicId');
  if (channel === undefined || publicId === undefined) return undefined;
  const frames: StoredFrame[] = [];
  for (let i = 0; i + 1 < zset.length; i += 2) {
    const bytes = zset[i] as Buffer;
    frames.push({ seq: Number((zset[i + 1] as Buffer).toString()), frame: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }
  const user = fields.get('user');
  const notes = new Map<string, string>();
  for (const [key, value] of fields) if (key.startsWith('n:')) notes.set(key.slice(2), value);
  return {
    wasMine,
    session: {
      channel,
      publicId,
      user: user ? (JSON.parse(user) as object) : undefined,
      recv: Number(fields.get('recv') ?? 0),
      acked: Number(fields.get('acked') ?? 0),
      nextSeq: Number(fields.get('next') ?? 1),
      frames,
      notes,
    },
  };
}

/** A script's bulk or integer answer as text. */
function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString() : String(value ?? '');
}

function checkMs(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) invalid(name, String(value));
}

function invalid(name: string, value: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} is invalid: ${value}`);
}
