/*
 * The scripts behind a room's presence on Redis (SCALING.md, "Presence"). Per room, under the room's hash tag like its
 * other keys, so that each script also runs on a Redis Cluster:
 *
 *   ms:<prefix>:room:{<room>}:presence  ZSET  publicId -> expiry (ms, Redis's own clock)
 *   ms:<prefix>:room:{<room>}:owners    HASH  publicId -> owner (the session copy that put it there)
 *   ms:<prefix>:room:{<room>}:roster    ZSET  publicId, score 0: the same ids in byte order, to list the first n
 *
 * Expiry is judged by Redis's clock (`TIME`), the one clock every process shares: a process's own clock may be skewed,
 * or in tests a manual one. Every script first drops the expired entries (a process that died without removing its
 * members), so nobody reads or renews past them. The three keys hold the same ids at every step.
 */

/** Drops the entries whose expiry is at or before `now` (ms), from all three keys. */
const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(gone) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
`;

/**
 * ARGV: ttlMs, mode ('join' | 'refresh'), keysTtlMs, then publicId, owner pairs. `join` takes any entry over;
 * `refresh` renews its owner's entries and adds missing ones, leaving those another copy owns.
 */
const PRESENT = `${PRUNE}
local expiry = now + tonumber(ARGV[1])
local join = ARGV[2] == 'join'
for i = 4, #ARGV, 2 do
  local held = redis.call('HGET', KEYS[2], ARGV[i])
  if join or not held or held == ARGV[i + 1] then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    redis.call('ZADD', KEYS[3], 0, ARGV[i])
  end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return 1
`;

/** ARGV: publicId, owner. Removes the entry only if that owner still owns it: one check and removal, atomically. */
const ABSENT = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/** ARGV: limit. Returns {count, first `limit` ids in byte order}. */
const PRESENCE = `${PRUNE}
local limit = tonumber(ARGV[1])
local ids = {}
if limit > 0 then ids = redis.call('ZRANGE', KEYS[3], 0, limit - 1) end
return {redis.call('ZCARD', KEYS[3]), ids}
`;

/** The scripts, by the ioredis command name each is defined as (`defineCommand`), all with the three keys. */
export const PRESENCE_SCRIPTS = {
  chatPresent: { numberOfKeys: 3, lua: PRESENT },
  chatAbsent: { numberOfKeys: 3, lua: ABSENT },
  chatPresence: { numberOfKeys: 3, lua: PRESENCE },
} as const;

/** The commands {@link PRESENCE_SCRIPTS} add to an ioredis connection. */
export interface PresenceCommands {
  chatPresent(presence: string, owners: string, roster: string, ...args: string[]): Promise<number>;
  chatAbsent(presence: string, owners: string, roster: string, publicId: string, owner: string): Promise<number>;
  chatPresence(presence: string, owners: string, roster: string, limit: string): Promise<[number, string[]]>;
}

/** A room's three presence keys, from its key base `ms:<prefix>:room:{<room>}`. */
export function presenceKeys(base: string): [presence: string, owners: string, roster: string] {
  return [`${base}:presence`, `${base}:owners`, `${base}:roster`];
}
