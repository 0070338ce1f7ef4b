/*
 * The scripts behind a room's presence on Redis (SCALING.md, "Presence"). Per room, under the room's hash tag like its
 * other keys, so that each script also runs on a Redis Cluster:
 *
 *   ms:<prefix>:room:{<room>}:presence  ZSET  publicId -> expiry (ms, Redis's own clock)
 *   ms:<prefix>:room:{<room>}:owners    HASH  publicId -> owner (the session copy that put it there)
 *   ms:<prefix>:room:{<room>}:roster    ZSET  publicId, score 0: the same ids in byte order, to list the first n
 *   ms:<prefix>:room:{<room>}:left      ZSET  publicId -> until when (ms, Redis's clock) a refresh may not add it back
 *
 * Expiry is judged by Redis's clock (`TIME`), the one clock every process shares: a process's own clock may be skewed,
 * or in tests a manual one. Every script first drops the expired entries (a process that died without removing its
 * members) and the expired tombstones, so nobody reads or renews past them. The first three keys hold the same ids at
 * every step.
 *
 * A tombstone (`:left`) is what a leave (or a session's end) leaves behind: a process that still holds an older copy of
 * the session (cut from Redis while the session moved on) renews with `refresh`, which would otherwise list the session
 * again as a missing entry. `join` clears it: the session is served there now.
 */

/** `now`: Redis's clock, ms. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Drops the entries whose expiry is at or before `now`, from the first three keys, and the tombstones past theirs. */
const PRUNE = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(gone) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
`;

/**
 * ARGV: ttlMs, mode ('join' | 'refresh'), keysTtlMs, then publicId, owner pairs. `join` takes any entry over and clears
 * its tombstone; `refresh` renews its owner's entries and adds missing ones unless tombstoned, leaving those another
 * copy owns.
 */
const PRESENT = `${CLOCK}${PRUNE}
local expiry = now + tonumber(ARGV[1])
local join = ARGV[2] == 'join'
for i = 4, #ARGV, 2 do
  local held = redis.call('HGET', KEYS[2], ARGV[i])
  local take = held == ARGV[i + 1]
  if join then
    take = true
    redis.call('ZREM', KEYS[4], ARGV[i])
  elseif not held then
    take = not redis.call('ZSCORE', KEYS[4], ARGV[i])
  end
  if take then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    redis.call('ZADD', KEYS[3], 0, ARGV[i])
  end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return 1
`;

/**
 * ARGV: publicId, owner, rememberMs. Removes the entry only if that owner still owns it (expired or not: nobody took it
 * over since), one check and removal, atomically; then, if `rememberMs` > 0, tombstones the id for that long. The
 * tombstones' key lives as long as its newest one.
 */
const ABSENT = `${CLOCK}
local mine = redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2]
${PRUNE}
if not mine then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local remember = tonumber(ARGV[3])
if remember > 0 then
  redis.call('ZADD', KEYS[4], now + remember, ARGV[1])
  if redis.call('PTTL', KEYS[4]) < remember then redis.call('PEXPIRE', KEYS[4], remember) end
end
return 1
`;

/** ARGV: limit. Returns {count, first `limit` ids in byte order}. */
const PRESENCE = `${CLOCK}${PRUNE}
local limit = tonumber(ARGV[1])
local ids = {}
if limit > 0 then ids = redis.call('ZRANGE', KEYS[3], 0, limit - 1) end
return {redis.call('ZCARD', KEYS[3]), ids}
`;

/** The scripts, by the ioredis command name each is defined as (`defineCommand`), all with the four keys. */
export const PRESENCE_SCRIPTS = {
  chatPresent: { numberOfKeys: 4, lua: PRESENT },
  chatAbsent: { numberOfKeys: 4, lua: ABSENT },
  chatPresence: { numberOfKeys: 4, lua: PRESENCE },
} as const;

/** A room's four presence keys, as {@link presenceKeys} gives them. */
type Keys = [presence: string, owners: string, roster: string, left: string];

/** The commands {@link PRESENCE_SCRIPTS} add to an ioredis connection. */
export interface PresenceCommands {
  chatPresent(...keysAndArgs: [...Keys, ...string[]]): Promise<number>;
  chatAbsent(...keysAndArgs: [...Keys, publicId: string, owner: string, rememberMs: string]): Promise<number>;
  chatPresence(...keysAndArgs: [...Keys, limit: string]): Promise<[number, string[]]>;
}

/** A room's four presence keys, from its key base `ms:<prefix>:room:{<room>}`. */
export function presenceKeys(base: string): Keys {
  return [`${base}:presence`, `${base}:owners`, `${base}:roster`, `${base}:left`];
}
