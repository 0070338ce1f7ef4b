import { quantile } from '../benchmarks/measure';
import { Reservoir, type Snapshot } from './tally';

/*
 * The run as the main thread sees it: each second's snapshots of all workers added into one point of the series
 * (what the live line and the report's charts show), and everything into the totals (the summary).
 */

/** One second of the run, all workers together. */
export interface Point {
  /** Seconds since the start. */
  readonly t: number;
  readonly players: number;
  readonly connected: number;
  readonly inPerS: number;
  readonly outPerS: number;
  readonly rttP50: number | null;
  readonly rttP99: number | null;
  readonly errors: number;
  /** The generator: its busiest worker's event-loop delay p99, ms, and the CPU it used, in cores. */
  readonly lagMs: number;
  readonly cpu: number;
}

/** Samples kept for the summary's percentiles of each latency (a reservoir beyond that). */
const SUMMARY_SAMPLES = 200_000;

const rounded = (value: number): number | null => (Number.isFinite(value) ? Math.round(value * 10) / 10 : null);

export class Run {
  readonly points: Point[] = [];
  readonly rtt = new Reservoir(SUMMARY_SAMPLES);
  readonly chat = new Reservoir(SUMMARY_SAMPLES);
  readonly connect = new Reservoir(SUMMARY_SAMPLES);
  totals = { sent: 0, inputs: 0, received: 0, errors: 0, reconnects: 0, faults: 0, duplicated: 0, outOfOrder: 0, peakConnected: 0 };
  readonly closes: Record<string, number> = {};
  lost = 0;
  linesSaid = 0;
  unsettled = 0;
  private readonly started = Date.now();

  /** Adds the totals of `snapshots` (one per worker); `point` also makes them the next second of the series. */
  add(snapshots: readonly Snapshot[], cpu: number, point: boolean): Point {
    const rtts: number[] = [];
    let players = 0;
    let connected = 0;
    let sent = 0;
    let received = 0;
    let errors = 0;
    let lagMs = 0;
    for (const s of snapshots) {
      players += s.players;
      connected += s.connected;
      sent += s.sent;
      received += s.received;
      errors += s.errors;
      lagMs = Math.max(lagMs, s.lagMs);
      const t = this.totals;
      t.sent += s.sent;
      t.inputs += s.inputs;
      t.received += s.received;
      t.errors += s.errors;
      t.reconnects += s.reconnects;
      t.faults += s.faults;
      t.duplicated += s.duplicated;
      t.outOfOrder += s.outOfOrder;
      for (const [code, count] of Object.entries(s.closes)) this.closes[code] = (this.closes[code] ?? 0) + count;
      for (const ms of s.rttMs) {
        rtts.push(ms);
        this.rtt.add(ms);
      }
      for (const ms of s.chatMs) this.chat.add(ms);
      for (const ms of s.connectMs) this.connect.add(ms);
    }
    this.totals.peakConnected = Math.max(this.totals.peakConnected, connected);
    const next: Point = {
      t: Math.round((Date.now() - this.started) / 100) / 10,
      players,
      connected,
      inPerS: received,
      outPerS: sent,
      rttP50: rounded(quantile(rtts, 0.5)),
      rttP99: rounded(quantile(rtts, 0.99)),
      errors,
      lagMs: Math.round(lagMs * 10) / 10,
      cpu: Math.round(cpu * 100) / 100,
    };
    if (point) this.points.push(next);
    return next;
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** The `p`-quantile of a kept latency, ms (one decimal), null without samples. */
  static q(samples: Reservoir, p: number): number | null {
    return rounded(quantile(samples.values, p));
  }
}
