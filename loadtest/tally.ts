/*
 * The counters of a run: a worker counts into a Tally and hands the main thread one Snapshot a second (what happened
 * in that second); the main thread adds them into the run's series and totals.
 */

/** Samples kept per second and per worker for a latency: more are replaced at random (a reservoir), so memory is bounded. */
const SAMPLES_PER_SECOND = 5_000;

/** A reservoir of at most `limit` samples out of `seen`. */
export class Reservoir {
  values: number[] = [];
  seen = 0;
  constructor(private readonly limit: number) {}
  add(value: number): void {
    this.seen++;
    if (this.values.length < this.limit) this.values.push(value);
    else {
      const at = Math.floor(Math.random() * this.seen);
      if (at < this.limit) this.values[at] = value;
    }
  }
  take(): number[] {
    const values = this.values;
    this.values = [];
    this.seen = 0;
    return values;
  }
}

/** One second of one worker. */
export interface Snapshot {
  readonly players: number;
  readonly connected: number;
  readonly sent: number;
  /** Of `sent`, game inputs. */
  readonly inputs: number;
  readonly received: number;
  readonly errors: number;
  readonly reconnects: number;
  readonly faults: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly closes: Record<string, number>;
  readonly rttMs: number[];
  readonly chatMs: number[];
  readonly connectMs: number[];
  /** The worker's event-loop delay p99 over the second, ms. */
  readonly lagMs: number;
}

/** A worker's counters since its last snapshot. */
export class Tally {
  sent = 0;
  inputs = 0;
  received = 0;
  errors = 0;
  reconnects = 0;
  faults = 0;
  duplicated = 0;
  outOfOrder = 0;
  closes: Record<string, number> = {};
  connectMs: number[] = [];
  private readonly rtts = new Reservoir(SAMPLES_PER_SECOND);
  private readonly chats = new Reservoir(SAMPLES_PER_SECOND);

  rtt(ms: number): void {
    this.rtts.add(ms);
  }
  chatLatency(ms: number): void {
    this.chats.add(ms);
  }
  close(code: string): void {
    this.closes[code] = (this.closes[code] ?? 0) + 1;
  }

  /** What was counted since the last call, and the counters start again. */
  snapshot(players: number, connected: number, lagMs: number): Snapshot {
    const snapshot: Snapshot = {
      players,
      connected,
      sent: this.sent,
      inputs: this.inputs,
      received: this.received,
      errors: this.errors,
      reconnects: this.reconnects,
      faults: this.faults,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      closes: this.closes,
      rttMs: this.rtts.take(),
      chatMs: this.chats.take(),
      connectMs: this.connectMs,
      lagMs,
    };
    this.sent = this.inputs = this.received = this.errors = this.reconnects = this.faults = this.duplicated = this.outOfOrder = 0;
    this.closes = {};
    this.connectMs = [];
    return snapshot;
  }
}
