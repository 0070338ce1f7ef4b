import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { UsageErrorCode } from '../src/codes';
import { UsageError } from '../src/errors';
import { ChatError, ChatErrorCode } from './errors';
import type { SessionWrite, SharedSessionStore, StoredFrame, TakenSession } from './session-store';

/*
 * Sessions on Redis (SCALING.md, phase 2). Per session, under one hash tag so that the scripts also run on a Cluster:
 *
 *   ms:<prefix>:session:{<id>}         HASH  owner, channel, publicId, user (JSON), recv, acked, next, and n:<note>
 *                                            (the chat module's `room:<key>` -> last message id handed to the session)
 *   ms:<prefix>:session:{<id>}:frames  ZSET  score seq, member the encoded RELIABLE frame (it contains its seq)
 *
 * Each write sets both keys' expiry again. Every change is one script that first checks `owner`, so a process that
 * lost the session (another took it) changes nothing and learns it from the answer.
 */

const WRITE = `
local o = redis.call('HGET', KEYS[1], 'owner')
if o and o ~= ARGV[1] then return 0 end
if not o and ARGV[6] ~= '1' then return 0 end
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'channel', ARGV[7], 'publicId', ARGV[8], 'user', ARGV[9], 'recv', 0, 'acked', 0, 'next', 1)
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'recv', ARGV[3]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'next', ARGV[5]) end
local notes = tonumber(ARGV[10])
for i = 11, 10 + notes * 2, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], 'n:' .. ARGV[i]) else redis.call('HSET', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1]) end
end
for i = 11 + notes * 2, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1]) end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'acked', ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

const TAKE = `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local mine = redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and 1 or 0
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {mine, h, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
`;

const REMOVE = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1
`;

interface SessionCommands {
  sessionWrite(hash: string, frames: string, ...args: (string | Buffer)[]): Promise<number>;
  sessionTakeBuffer(hash: string, frames: string, owner: string, ttl: string): Promise<[number, Buffer[], Buffer[]] | null>;
  sessionRemove(hash: string, frames: string, owner: string): Promise<number>;
}

/** Options of {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Namespace of the keys: processes with the same one share sessions. Default `default`. */
  prefix: string;
  /** How long {@link createRedisSessionStore} waits for Redis, ms. Default 10,000. */
  connectTimeoutMs: number;
}

/**
 * Opens a session store on Redis; pass it as `createServer({ sessionStore })`.
 * @throws {UsageError} `invalid_option` for a bad url or prefix.
 * @throws {ChatError} (as a rejection) `unavailable` when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function createRedisSessionStore(options: Readonly<Partial<RedisSessionStoreOptions>> & { url: string }): Promise<SharedSessionStore> {
  const store = new RedisSessionStore(options);
  try {
    await store.ready(options.connectTimeoutMs ?? 10_000);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class RedisSessionStore implements SharedSessionStore {
  readonly owner = randomBytes(6).toString('base64url');
  private readonly prefix: string;
  private readonly redis: Redis & SessionCommands;

  constructor(options: Readonly<Partial<RedisSessionStoreOptions>> & { url: string }) {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) invalid('url', String(options.url));
    this.prefix = options.prefix ?? 'default';
    if (this.prefix.length === 0 || /[{}]/.test(this.prefix)) invalid('prefix', this.prefix);
    // Fail fast and never resend: a write cut by a lost connection must not land later, after newer ones.
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
    }) as Redis & SessionCommands;
    this.redis.defineCommand('sessionWrite', { numberOfKeys: 2, lua: WRITE });
    this.redis.defineCommand('sessionTake', { numberOfKeys: 2, lua: TAKE });
    this.redis.defineCommand('sessionRemove', { numberOfKeys: 2, lua: REMOVE });
    // Failures surface on each command (the session's journal reacts); the connection reconnects by itself.
    this.redis.on('error', () => undefined);
  }

  ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new ChatError(ChatErrorCode.Unavailable, `redis is not ready after ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => resolve());
    }).finally(() => clearTimeout(timer));
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
    ];
    const notes = write.notes ?? new Map<string, string>();
    args.push(String(notes.size));
    for (const [key, value] of notes) args.push(key, value);
    for (const { seq, frame } of write.frames) args.push(String(seq), Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    const [hash, frames] = this.keys(id);
    return (await this.redis.sessionWrite(hash, frames, ...args)) === 1;
  }

  async take(id: string, ttlMs: number): Promise<TakenSession | undefined> {
    const [hash, framesKey] = this.keys(id);
    const answer = await this.redis.sessionTakeBuffer(hash, framesKey, this.owner, String(ttlMs));
    if (!answer) return undefined;
    const [mine, flat, zset] = answer;
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
      wasMine: Number(mine) === 1,
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

  async remove(id: string): Promise<void> {
    const [hash, frames] = this.keys(id);
    await this.redis.sessionRemove(hash, frames, this.owner);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private keys(id: string): [string, string] {
    const hash = `ms:${this.prefix}:session:{${id}}`;
    return [hash, `${hash}:frames`];
  }
}

function invalid(name: string, value: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} is invalid: ${value}`);
}
