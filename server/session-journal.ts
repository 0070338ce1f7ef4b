import type { SessionWrite, SharedSessionStore } from './session-store';

/**
 * One session's writes to a {@link SharedSessionStore}: everything a session changes in one turn of the event loop
 * (the client seq it applied, the frames its handlers sent in answer, ACKs) goes in one atomic write, and what the
 * client may learn of it (an ACK, a frame) is let out only once that write is durable. So a process that dies loses
 * nothing its client was told about, and never leaves an applied message without the frames it caused.
 */
export class SessionJournal {
  private pending: SessionWrite | undefined;
  private pendingWaiters: (() => void)[] = [];
  /** Writes sent and not answered, oldest first (Redis answers them in order). */
  private readonly inFlight: { waiters: (() => void)[] }[] = [];
  private stopped = false;
  private confirmedRecv: number;
  private confirmedSeq: number;

  /**
   * @param recv and `sent`: what is already durable (0 for a new session).
   * @param lost called once when a write fails or finds another owner: the session is no longer this process's.
   */
  constructor(
    private readonly store: SharedSessionStore,
    private readonly id: string,
    private readonly ttlMs: number,
    recv: number,
    sent: number,
    private readonly lost: () => void,
  ) {
    this.confirmedRecv = recv;
    this.confirmedSeq = sent;
  }

  /** The last client seq durably applied: what WELCOME may report (the client re-sends the rest, dropped as duplicates). */
  get durableRecv(): number {
    return this.confirmedRecv;
  }

  /** The last server seq durably kept: only frames up to it may be sent again on a resume. */
  get durableSeq(): number {
    return this.confirmedSeq;
  }

  created(meta: NonNullable<SessionWrite['meta']>): void {
    this.batch().meta = meta;
  }

  applied(recv: number): void {
    this.batch().recv = recv;
  }

  kept(seq: number, frame: Uint8Array): void {
    const batch = this.batch();
    batch.frames.push({ seq, frame });
    batch.nextSeq = seq + 1;
  }

  acknowledged(seq: number): void {
    const batch = this.batch();
    batch.acked = Math.max(batch.acked ?? 0, seq);
  }

  /** Sets (or, with '', removes) a note, in the same atomic write as the frames of this turn. */
  noted(key: string, value: string): void {
    const batch = this.batch();
    (batch.notes ??= new Map()).set(key, value);
  }

  /** Sets the expiry again (from now). */
  touch(): void {
    this.batch();
  }

  /** Runs `fn` once everything recorded so far is durable; never, if the session is lost first. */
  after(fn: () => void): void {
    if (this.stopped) return;
    if (this.pending) this.pendingWaiters.push(fn);
    else if (this.inFlight.length > 0) (this.inFlight[this.inFlight.length - 1] as { waiters: (() => void)[] }).waiters.push(fn);
    else fn();
  }

  /** The session ended here: nothing more is written or let out. */
  stop(): void {
    this.stopped = true;
    this.pending = undefined;
    this.pendingWaiters = [];
    for (const entry of this.inFlight) entry.waiters = [];
  }

  private batch(): SessionWrite {
    if (!this.pending) {
      this.pending = { frames: [] };
      queueMicrotask(() => this.flush());
    }
    return this.pending;
  }

  private flush(): void {
    const write = this.pending;
    if (!write || this.stopped) return;
    this.pending = undefined;
    const entry = { waiters: this.pendingWaiters };
    this.pendingWaiters = [];
    this.inFlight.push(entry);
    this.store.write(this.id, write, this.ttlMs).then(
      (owned) => {
        this.inFlight.shift();
        if (this.stopped) return;
        if (!owned) return this.lose();
        if (write.recv !== undefined) this.confirmedRecv = Math.max(this.confirmedRecv, write.recv);
        if (write.nextSeq !== undefined) this.confirmedSeq = write.nextSeq - 1;
        for (const fn of entry.waiters) fn();
      },
      () => {
        this.inFlight.shift();
        // A later write could land without this one: stop here, and let the client resume from what is stored.
        if (!this.stopped) this.lose();
      },
    );
  }

  private lose(): void {
    this.stop();
    this.lost();
  }
}
