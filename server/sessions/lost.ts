/*
 * The memory of sessions that ended (PROTOCOL.md section 5, WELCOME `previousRecv`): how much of each client's
 * RELIABLE stream was applied, so that a client that comes back too late is told what not to send again. Kept in the
 * process (this file, bounded in count and time) and, with a shared session store, in the store too, where it
 * outlives the process that held the session (see `SharedSessionStore.take`).
 */

/** How long the applied `recv` of an ended session is remembered, ms. */
export const LOST_SESSION_MEMORY_MS = 10 * 60_000;
/** How many ended sessions a process remembers at most (the oldest are forgotten first). */
const LOST_SESSION_MEMORY_COUNT = 10_000;

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
  // Never backwards: the store may remember less than this process applied (a write it could not make).
  keepBounded(lost, id, { channel, recv: known && known.channel === channel ? Math.max(known.recv, recv) : recv, at: now });
}

/**
 * Sets `id` as the newest entry of `map` (re-inserted: a map iterates in insertion order), then forgets the oldest
 * past {@link LOST_SESSION_MEMORY_COUNT} entries or {@link LOST_SESSION_MEMORY_MS} before `entry.at`.
 */
function keepBounded<T extends { readonly at: number }>(map: Map<string, T>, id: string, entry: T): void {
  map.delete(id);
  map.set(id, entry);
  for (const [key, old] of map) {
    if (map.size <= LOST_SESSION_MEMORY_COUNT && entry.at - old.at <= LOST_SESSION_MEMORY_MS) break;
    map.delete(key);
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

/** What the store must still be told: `remove(id, recv)` failed (it was unreachable) for a session that ended. */
interface FailedRemove {
  readonly recv: number;
  /** When the session ended, on the server's clock. */
  readonly at: number;
}

/**
 * The removes a shared session store failed (an outage), kept to be tried again: until one lands, the store still
 * holds the ended session's older `recv`, which another process would report as WELCOME `previousRecv` once the
 * session's window passes there (the client would then send again what was applied). Bounded like the memory above:
 * at most {@link LOST_SESSION_MEMORY_COUNT}, each for {@link LOST_SESSION_MEMORY_MS} (past it the store forgot the
 * session anyway, or soon will).
 */
export class FailedRemoves {
  private readonly failed = new Map<string, FailedRemove>();
  /** Removes in flight, by session id: a retry, or a handoff request, waits for the one under way. */
  private readonly trying = new Map<string, Promise<boolean>>();

  constructor(private readonly remove: (id: string, recv: number) => Promise<void>) {}

  get size(): number {
    return this.failed.size;
  }

  /** Removes session `id` (it ended having applied `recv`) from the store, keeping the remove if it fails. */
  end(id: string, recv: number, now: number): void {
    this.failed.delete(id);
    this.track(
      id,
      this.remove(id, recv).then(
        () => true,
        () => {
          this.keep(id, recv, now);
          return false;
        },
      ),
    );
  }

  /** Tries every kept remove again (the store is reachable again, or a timer says so). */
  retryAll(now: number): void {
    for (const id of [...this.failed.keys()]) void this.retry(id, now);
  }

  /**
   * Tries the kept remove of `id` again, if any: true once it landed (or none was kept), false when it failed again
   * (still kept). A handoff request for the session waits for it, so that the asker finds the session ended.
   */
  retry(id: string, now: number): Promise<boolean> {
    const running = this.trying.get(id);
    if (running) return running;
    const entry = this.failed.get(id);
    if (!entry) return Promise.resolve(true);
    if (now - entry.at > LOST_SESSION_MEMORY_MS) {
      this.failed.delete(id);
      return Promise.resolve(true);
    }
    return this.track(
      id,
      this.remove(id, entry.recv).then(
        () => {
          if (this.failed.get(id) === entry) this.failed.delete(id);
          return true;
        },
        () => false,
      ),
    );
  }

  private track(id: string, attempt: Promise<boolean>): Promise<boolean> {
    this.trying.set(id, attempt);
    void attempt.then(() => {
      if (this.trying.get(id) === attempt) this.trying.delete(id);
    });
    return attempt;
  }

  private keep(id: string, recv: number, at: number): void {
    keepBounded(this.failed, id, { recv: Math.max(this.failed.get(id)?.recv ?? 0, recv), at });
  }
}
