import { StoreLag } from './store-lag';
import type { SessionWrite, SharedSessionStore } from './store';
import { WriteQueue, type WriteOutcome } from './write-queue';

/**
 * One session's writes to a {@link SharedSessionStore}: everything a session changes in one turn of the event loop
 * (the client seq it applied, the frames its handlers sent in answer, ACKs) goes in one atomic write, and what the
 * client may learn of it (an ACK, a frame) is let out only once that write is durable. So a process that dies loses
 * nothing its client was told about, and never leaves an applied message without the frames it caused.
 *
 * A write that carries nothing the client may be told of (notes, an ACK's trim, an expiry refresh: no `recv`, no frame,
 * no new session) and fails is only kept, to go with the session's next write: the session stays connected, so that a
 * game whose players note their position every tick plays on while the store is away.
 *
 * Any other write that fails (the store is unreachable) suspends the journal: what it held, and everything recorded after it,
 * is kept here unwritten and nothing more is let out, until {@link repair} writes it all in one go. The session stays
 * in this process meanwhile (it is ahead of the store: it applied messages the store has not), so that a client
 * that resumes here is not handed those messages twice; and when the client resumes on another process, that process
 * asks this one for the session first, and {@link handOver} writes it all there before giving it up.
 */
export class SessionJournal {
  private pending: SessionWrite | undefined;
  private pendingWaiters: (() => void)[] = [];
  /** Writes sent and not yet handled: their outcomes are handled in the order they were recorded. */
  private readonly writes: WriteQueue;
  /** What the store holds durably, and what failed writes left it lacking. */
  private readonly lag: StoreLag;
  private stopped = false;
  private repairing: Promise<boolean> | undefined;
  /** Set while a handover waits for the writes in flight: what is recorded meanwhile goes with its last write. */
  private handingOver: Promise<boolean> | undefined;
  /** Set once {@link finish} began: nothing is written any more but its last write. */
  private finishing: Promise<boolean> | undefined;

  /**
   * @param recv and `sent`: what is already durable (0 for a new session).
   * @param lost called once when a write finds another owner, or a handover gave the session up: the session is no
   * longer this process's.
   * @param failed called when a write fails and the journal suspends (once per suspension).
   */
  constructor(
    private readonly store: SharedSessionStore,
    private readonly id: string,
    private readonly ttlMs: number,
    recv: number,
    sent: number,
    private readonly lost: () => void,
    private readonly failed: (error: unknown) => void,
  ) {
    this.writes = new WriteQueue(store, id, ttlMs, (write, waiters, outcome) => this.handle(write, waiters, outcome));
    this.lag = new StoreLag(recv, sent);
  }

  /** The last client seq durably applied: what WELCOME may report (the client re-sends the rest, dropped as duplicates). */
  get durableRecv(): number {
    return this.lag.durableRecv;
  }

  /** The last server seq durably kept: only frames up to it may be sent again on a resume. */
  get durableSeq(): number {
    return this.lag.durableSeq;
  }

  /** True while a failed write waits for {@link repair}: the store is behind this process's copy. */
  get suspended(): boolean {
    return this.lag.suspended;
  }

  /**
   * Writes everything a suspension kept back, in one write that only moves the stored session forward (the highest
   * recv, next seq and ACK known, every frame kept), once every write in flight is answered (they may yet fail into
   * what the repair must carry; a slow store is not an unreachable one). True once it is durable (or when there was
   * nothing to repair); false when the store is still unreachable (still suspended) or another process owns the
   * session (lost).
   */
  repair(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    // Being handed over: once that is done the session is either gone from here or still suspended.
    if (this.handingOver) return this.handingOver.then(() => false);
    if (!this.lag.suspended) return Promise.resolve(true);
    return (this.repairing ??= this.rewrite().finally(() => (this.repairing = undefined)));
  }

  /**
   * Another process asks for the session: waits for the writes in flight (and a repair), then writes everything this
   * copy holds that the store lacks (what a suspension kept back, what was recorded meanwhile) and gives the session up
   * in that same write, so that the other process takes exactly the state this one applied. True once written and
   * given up (the session has ended here through the `lost` callback); false when the store could not be reached
   * (still suspended, for a repair or the next ask) or another process owns the session (lost).
   */
  handOver(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return (this.handingOver ??= this.giveUp().finally(() => (this.handingOver = undefined)));
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
    this.lag.acknowledged(seq);
    const batch = this.batch();
    batch.acked = Math.max(batch.acked ?? 0, seq);
  }

  /** Sets (or, with '', removes) a note, in the same atomic write as the frames of this turn. */
  noted(key: string, value: string): void {
    const batch = this.batch();
    (batch.notes ??= new Map()).set(key, value);
  }

  /** Writes what failed note-only writes kept back, now (the store is reachable again). */
  retryKept(): void {
    if (this.lag.holdsKept && !this.stopped) this.batch();
  }

  /** Sets the expiry again (from now). */
  touch(): void {
    this.batch();
  }

  /** Runs `fn` once everything recorded so far is durable; never, if the session is lost first. */
  after(fn: () => void): void {
    if (this.stopped) return;
    if (this.repairing || this.handingOver) {
      // After the repair, with the next write (or never, if the handover gives the session up).
      this.batch();
      this.pendingWaiters.push(fn);
      return;
    }
    // Suspended: the client is closed, and learns on its resume what the repair made durable.
    if (this.lag.suspended) return;
    if (this.pending) this.pendingWaiters.push(fn);
    else if (!this.writes.waitForLast(fn)) fn();
  }

  /**
   * The server is closing and leaves the session in the store for the other processes: waits for the writes in
   * flight, then writes everything this copy holds that the store lacks (what a failure kept back, what is pending),
   * asking `again()` whether to try once more each time the store cannot be reached, and stops. True once durable (or
   * when there was nothing left to write).
   */
  finish(again: () => Promise<boolean>): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return (this.finishing ??= this.lastWrite(again).finally(() => this.stop()));
  }

  /** The session ended here: nothing more is written or let out. */
  stop(): void {
    this.stopped = true;
    this.writes.close();
    this.pending = undefined;
    this.pendingWaiters = [];
  }

  private batch(): SessionWrite {
    if (!this.pending) {
      this.pending = { frames: [] };
      queueMicrotask(() => this.flush());
    }
    return this.pending;
  }

  private flush(): void {
    // Suspended: the batch stays pending, and goes with the repair (or the handover).
    if (!this.pending || this.stopped || this.lag.suspended || this.handingOver || this.finishing) return;
    const write = this.lag.withKept(this.pending);
    this.pending = undefined;
    this.writes.send(write, this.pendingWaiters);
    this.pendingWaiters = [];
  }

  /** A write's outcome, in the order the writes were recorded. */
  private handle(write: SessionWrite, waiters: readonly (() => void)[], outcome: WriteOutcome): void {
    if (this.stopped) return;
    if ('error' in outcome) {
      if (!this.lag.suspended && !tellsClient(write)) return this.keepForLater(write, waiters);
      // A later write could land without this one: write nothing more until a repair re-sends it with the rest.
      return this.suspend(write, outcome.error);
    }
    if (!outcome.owned) return this.lose();
    this.lag.confirmed(write);
    for (const fn of waiters) fn();
  }

  /**
   * A write with nothing the client was told of failed: its notes and ACK go with the next write, but a note a write
   * sent after it also sets (newer) is not sent again. Every write before it was stored (outcomes are handled in
   * recorded order, and a failure before it would have suspended the journal), so what its waiters wait for is
   * durable: they run.
   */
  private keepForLater(write: SessionWrite, waiters: readonly (() => void)[]): void {
    this.lag.keep(write, this.writes.notedKeys());
    for (const fn of waiters) fn();
  }

  private suspend(write: SessionWrite, error: unknown): void {
    const first = this.lag.suspend(write);
    // Nothing waiting on a write may go out now: the client is closed and resumes from what the repair stores.
    this.pendingWaiters = [];
    this.writes.dropWaiters();
    if (first) this.failed(error);
  }

  private async rewrite(): Promise<boolean> {
    // Bounded by the store answering them (a lost connection rejects every command in flight).
    if (!(await this.quiet(() => undefined)) || this.handingOver) return false;
    if (!this.lag.suspended) return true;
    const written = await this.writeEverything(false);
    // What was recorded while the repair was on its way.
    if (written) this.flush();
    return written;
  }

  private async giveUp(): Promise<boolean> {
    // Every write in flight answered (each one either stored, or failed into what is unstored), a repair finished.
    if (!(await this.quiet(() => this.repairing)) || !(await this.writeEverything(true))) return false;
    // Given up: the session ends here ('moved'); whatever is recorded from now on is the next owner's business.
    this.lose();
    return true;
  }

  private async lastWrite(again: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (!(await this.quiet(() => this.repairing ?? this.handingOver))) return false;
      if (!this.lag.suspended && !this.pending && !this.lag.holdsKept) return true;
      // Given up in the same write: another process may take the session at once, without asking for it.
      if (await this.writeEverything(true)) return true;
      if (this.stopped || !(await again())) return false;
    }
  }

  /**
   * Waits until no write is in flight and `busy()` (a repair, a handover) returns nothing; false if the journal stopped
   * meanwhile.
   */
  private async quiet(busy: () => Promise<unknown> | undefined): Promise<boolean> {
    for (;;) {
      const running = busy() ?? this.writes.nextAnswer();
      if (!running) return true;
      await running.catch(() => undefined);
      if (this.stopped) return false;
    }
  }

  /**
   * Writes what the store lacks (see {@link StoreLag.catchUp}), giving the session up in the same write when `release`.
   * Takes the pending batch (and its waiters: they would let out what a failed write may not have stored; the client
   * learns it on its resume instead). True once durable; false when the store could not be reached (all of it is kept
   * back, suspended) or another process owns the session (lost).
   */
  private async writeEverything(release: boolean): Promise<boolean> {
    const write = this.lag.catchUp(this.pending);
    this.pending = undefined;
    this.pendingWaiters = [];
    if (release) write.release = true;
    let owned: boolean;
    try {
      owned = await this.store.write(this.id, write, this.ttlMs);
    } catch (error) {
      if (this.stopped) return false;
      delete write.release;
      const first = this.lag.catchUpFailed(write, this.pending);
      this.pending = undefined;
      this.pendingWaiters = [];
      // A repair runs suspended already; a handover may start from a journal that was not.
      if (first) this.failed(error);
      return false;
    }
    if (this.stopped) return false;
    if (!owned) {
      this.lose();
      return false;
    }
    this.lag.caughtUp(write);
    return true;
  }

  private lose(): void {
    this.stop();
    this.lost();
  }
}

/** Whether `write` holds something the client learns of once it is stored: a new session, an applied seq, a frame. */
function tellsClient(write: SessionWrite): boolean {
  return write.meta !== undefined || write.recv !== undefined || write.nextSeq !== undefined || write.frames.length > 0 || write.release === true;
}
