/*
 * Small measuring helpers shared by the suites (and the demo's summary): medians with their spread, quantiles, and a time-bounded loop that reports
 * operations per second. Nothing here asserts a speed: suites report figures and ratios, run.ts prints them.
 */
import type { SuiteRow } from './types';

/** Median and spread of a list of per-round figures. */
interface Spread {
  readonly value: number;
  readonly min: number;
  readonly max: number;
}

/** The median (the mean of the middle two for an even count) with the smallest and largest value. */
function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread() needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { value, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** The `p`-quantile (0..1) of `values`, nearest rank (an element of `values`, never an interpolation); NaN for none. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median alone. */
export function median(values: readonly number[]): number {
  return spread(values).value;
}

/** A table row from per-round figures: median, min and max. */
export function rowOf(label: string, values: readonly number[], unit: string, note?: string): SuiteRow {
  const s = spread(values);
  return note === undefined ? { label, unit, ...s } : { label, unit, note, ...s };
}

/** A ratio goal: the text shown in the table and whether `value` meets it. */
export function atLeast(value: number, goal: number): { text: string; met: boolean } {
  return { text: `>= ${goal}`, met: value >= goal };
}

/** A ratio goal in the other direction (smaller is better). */
export function atMost(value: number, goal: number): { text: string; met: boolean } {
  return { text: `<= ${goal}`, met: value <= goal };
}

/** How many calls were made in how long. */
interface Timed {
  readonly calls: number;
  readonly seconds: number;
}

/**
 * Calls `op` repeatedly for at least `minMs` (checking the clock every `batch` calls, so the clock is not what is
 * measured).
 */
function runFor(op: () => void, minMs: number, batch = 64): Timed {
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(minMs * 1e6));
  let calls = 0;
  let elapsed = BigInt(0);
  do {
    for (let i = 0; i < batch; i++) op();
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return { calls, seconds: Number(elapsed) / 1e9 };
}

/** Calls per second of `op` over at least `minMs`. */
export function opsPerSecond(op: () => void, minMs: number, batch = 64): number {
  const { calls, seconds } = runFor(op, minMs, batch);
  return calls / seconds;
}

/**
 * One round of several contenders on a noisy machine: `slices` short turns each, interleaved (a, b, c, a, b, c...),
 * so a burst of load from elsewhere lands on every contender alike. Returns each contender's calls per second.
 */
export function interleavedRound(ops: ReadonlyArray<() => void>, slices: number, sliceMs: number): number[] {
  const calls = ops.map(() => 0);
  const seconds = ops.map(() => 0);
  for (let s = 0; s < slices; s++) {
    ops.forEach((op, i) => {
      const t = runFor(op, sliceMs);
      calls[i] = (calls[i] as number) + t.calls;
      seconds[i] = (seconds[i] as number) + t.seconds;
    });
  }
  return calls.map((n, i) => n / (seconds[i] as number));
}

/** The largest share of `times` (ms) that falls within any window of `windowMs`. */
export function peakShare(times: readonly number[], windowMs: number): number {
  if (times.length === 0) return 0;
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best / sorted.length;
}
