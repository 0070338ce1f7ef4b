import type { SessionWrite } from './store';

/**
 * How far the shared store is behind one session's copy in this process: what it holds durably (the client seq
 * applied, the server seq kept), and what failed writes left it lacking: note-only writes kept to go with the next one,
 * and, while the journal is suspended, everything else.
 */
export class StoreLag {
  private confirmedRecv: number;
  private confirmedSeq: number;
  /** The highest client ACK recorded: a catch-up trims the stored frames up to it. */
  private ackedSeen = 0;
  /** Failed writes that held nothing the client was told of (notes, ACK trims): they go with the next write. */
  private kept: SessionWrite | undefined;
  /** Set while suspended: the writes that failed, merged; nothing is written until a catch-up stores them. */
  private unstored: SessionWrite | undefined;

  /** @param recv and `sent`: what is already durable (0 for a new session). */
  constructor(recv: number, sent: number) {
    this.confirmedRecv = recv;
    this.confirmedSeq = sent;
  }

  /** The last client seq durably applied. */
  get durableRecv(): number {
    return this.confirmedRecv;
  }

  /** The last server seq durably kept. */
  get durableSeq(): number {
    return this.confirmedSeq;
  }

  /** True while a failed write waits for a catch-up: the store is behind this process's copy. */
  get suspended(): boolean {
    return this.unstored !== undefined;
  }

  /** True while failed note-only writes wait to go with the next write. */
  get holdsKept(): boolean {
    return this.kept !== undefined;
  }

  acknowledged(seq: number): void {
    this.ackedSeen = Math.max(this.ackedSeen, seq);
  }

  /** `write`, sent in its turn, is durable. */
  confirmed(write: SessionWrite): void {
    if (write.recv !== undefined) this.confirmedRecv = Math.max(this.confirmedRecv, write.recv);
    if (write.nextSeq !== undefined) this.confirmedSeq = write.nextSeq - 1;
  }

  /** `write` with what failed note-only writes kept before it, which it now carries. */
  withKept(write: SessionWrite): SessionWrite {
    const merged = merge(this.kept, write);
    this.kept = undefined;
    return merged;
  }

  /**
   * A write with nothing the client was told of failed: its notes and ACK go with the next write, but not a note that
   * a write sent after it (in `newerNotes`) also sets.
   */
  keep(write: SessionWrite, newerNotes: Iterable<string>): void {
    const kept = merge(this.kept, write);
    for (const key of newerNotes) kept.notes?.delete(key);
    this.kept = kept;
  }

  /** A write in flight failed: it joins what is unstored. True when this began the suspension. */
  suspend(write: SessionWrite): boolean {
    const first = this.unstored === undefined;
    // What a failed note-only write kept is older than `write`: it goes first.
    this.unstored = merge(merge(this.kept, this.unstored), write);
    this.kept = undefined;
    return first;
  }

  /**
   * What the store lacks, with `pending` (recorded since, not yet sent), as one write that only moves the stored
   * session forward: the highest recv, next seq and ACK known, every frame kept back.
   */
  catchUp(pending: SessionWrite | undefined): SessionWrite {
    const write = merge(merge(this.kept, this.unstored), pending);
    this.kept = undefined;
    // Never backwards: a write that landed after the failed one may have stored more than it.
    write.recv = Math.max(write.recv ?? 0, this.confirmedRecv);
    write.nextSeq = Math.max(write.nextSeq ?? 0, this.confirmedSeq + 1);
    if (this.ackedSeen > 0) write.acked = Math.max(write.acked ?? 0, this.ackedSeen);
    return write;
  }

  /**
   * A {@link catchUp} write failed: it and `pending` (recorded while it was on its way) are what is unstored now. True
   * when this began the suspension.
   */
  catchUpFailed(write: SessionWrite, pending: SessionWrite | undefined): boolean {
    const first = this.unstored === undefined;
    this.unstored = merge(write, pending);
    return first;
  }

  /** A {@link catchUp} write is durable: nothing is held back any more. */
  caughtUp(write: SessionWrite): void {
    this.unstored = undefined;
    this.confirmedRecv = Math.max(this.confirmedRecv, write.recv ?? 0);
    this.confirmedSeq = (write.nextSeq ?? this.confirmedSeq + 1) - 1;
  }
}

/** `later` recorded after `earlier`, as one write: the highest counters, every frame, the later note of each key. */
function merge(earlier: SessionWrite | undefined, later: SessionWrite | undefined): SessionWrite {
  if (!earlier || !later) return { ...(earlier ?? later ?? { frames: [] }) };
  const max = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const merged: SessionWrite = { frames: [...earlier.frames, ...later.frames] };
  const meta = earlier.meta ?? later.meta;
  if (meta) merged.meta = meta;
  const recv = max(earlier.recv, later.recv);
  if (recv !== undefined) merged.recv = recv;
  const acked = max(earlier.acked, later.acked);
  if (acked !== undefined) merged.acked = acked;
  const nextSeq = max(earlier.nextSeq, later.nextSeq);
  if (nextSeq !== undefined) merged.nextSeq = nextSeq;
  if (earlier.notes || later.notes) merged.notes = new Map([...(earlier.notes ?? []), ...(later.notes ?? [])]);
  return merged;
}
