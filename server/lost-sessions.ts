/*
 * The memory of sessions that ended (PROTOCOL.md section 5, WELCOME `previousRecv`): how much of each client's
 * RELIABLE stream was applied, so that a client that comes back too late is told what not to send again. Kept in the
 * process (this file, bounded in count and time) and, with a shared session store, in the store too, where it
 * outlives the process that held the session (see `SharedSessionStore.take`).
 */

/** How long the applied `recv` of an ended session is remembered, ms. */
export const LOST_SESSION_MEMORY_MS = 10 * 60_000;
/** How many ended sessions a process remembers at most (the oldest are forgotten first). */
export const LOST_SESSION_MEMORY_COUNT = 10_000;

/** One remembered session: its channel (a resume must name the same) and the last client seq it applied. */
export interface LostSession {
  readonly channel: string;
  readonly recv: number;
  /** When it was remembered, on the server's clock. */
  readonly at: number;
}

/** Remembers `id` as of `now`, then forgets the oldest past the count or the time bound. */
export function rememberLost(lost: Map<string, LostSession>, id: string, channel: string, recv: number, now: number): void {
  const known = lost.get(id);
  lost.delete(id);
  // Never backwards: the store may remember less than this process applied (a write it could not make).
  lost.set(id, { channel, recv: known && known.channel === channel ? Math.max(known.recv, recv) : recv, at: now });
  for (const [key, entry] of lost) {
    if (lost.size <= LOST_SESSION_MEMORY_COUNT && now - entry.at <= LOST_SESSION_MEMORY_MS) break;
    lost.delete(key);
  }
}

/** What the ended session `id` had applied, once, if it is remembered for `channel`. */
export function recallLost(lost: Map<string, LostSession>, id: string, channel: string, now: number): number | undefined {
  const entry = lost.get(id);
  if (!entry) return undefined;
  lost.delete(id);
  if (entry.channel !== channel || now - entry.at > LOST_SESSION_MEMORY_MS) return undefined;
  return entry.recv;
}
