import type { SessionWrite, SharedSessionStore } from './store';

/** How a write ended: stored (`owned` false: another process owns the session), or failed. */
export type WriteOutcome = { owned: boolean } | { error: unknown };

/** Handles one write's outcome; `waiters` are what waits for the write to be durable. */
type WriteHandler = (write: SessionWrite, waiters: readonly (() => void)[], outcome: WriteOutcome) => void;

/**
 * One session's writes sent to the store and not yet handled, oldest first. Redis answers them in order, but a lost
 * connection does not: a write sent while it reconnects fails at once, before the ones sent earlier. Each outcome is
 * therefore handed on only once every earlier write's has been, in the order the writes were sent.
 */
export class WriteQueue {
  private readonly inFlight: InFlightWrite[] = [];
  /** Called as each write in flight is answered (a handover waits for them all). */
  private answered: (() => void)[] = [];

  constructor(
    private readonly store: SharedSessionStore,
    private readonly id: string,
    private readonly ttlMs: number,
    private readonly handle: WriteHandler,
  ) {}

  /** Sends `write`; `waiters` are handed on with its outcome. */
  send(write: SessionWrite, waiters: (() => void)[]): void {
    const entry: InFlightWrite = { write, waiters, outcome: undefined };
    this.inFlight.push(entry);
    this.store.write(this.id, write, this.ttlMs).then(
      (owned) => this.answer(entry, { owned }),
      (error: unknown) => this.answer(entry, { error }),
    );
  }

  /** Adds `fn` to the waiters of the last write sent; false (nothing added) when none is in flight. */
  waitForLast(fn: () => void): boolean {
    const last = this.inFlight[this.inFlight.length - 1];
    if (!last) return false;
    last.waiters.push(fn);
    return true;
  }

  /** The note keys the writes in flight set. */
  *notedKeys(): IterableIterator<string> {
    for (const entry of this.inFlight) yield* entry.write.notes?.keys() ?? [];
  }

  /** Resolves when the next write in flight is answered (or {@link close} is called); undefined when none is in flight. */
  nextAnswer(): Promise<void> | undefined {
    if (this.inFlight.length === 0) return undefined;
    return new Promise<void>((resolve) => this.answered.push(resolve));
  }

  /** Nothing that waits for a write in flight runs any more (its outcome is still handed on, without them). */
  dropWaiters(): void {
    for (const entry of this.inFlight) entry.waiters = [];
  }

  /** The owner stopped: drops the waiters and resolves every {@link nextAnswer}. */
  close(): void {
    this.settle();
    this.dropWaiters();
  }

  /** Records `entry`'s outcome, then hands on every answered write at the head of the queue, in sent order. */
  private answer(entry: InFlightWrite, outcome: WriteOutcome): void {
    entry.outcome = outcome;
    while (this.inFlight[0]?.outcome) {
      const head = this.inFlight.shift() as InFlightWrite;
      this.handle(head.write, head.waiters, head.outcome as WriteOutcome);
    }
    this.settle();
  }

  private settle(): void {
    const answered = this.answered;
    this.answered = [];
    for (const fn of answered) fn();
  }
}

/** A write sent to the store, with what waits for it and, once answered, its outcome. */
interface InFlightWrite {
  readonly write: SessionWrite;
  waiters: (() => void)[];
  outcome: WriteOutcome | undefined;
}
