import type { FuzzInput } from './fuzz-inputs';

/** What one fuzz target did with its inputs: counts by kind and by outcome, and every broken promise. */
export interface FuzzReport {
  readonly target: string;
  readonly inputs: number;
  /** Inputs by kind. */
  readonly byKind: Record<string, number>;
  /** Outcomes (`accepted`, an error code, `close 1009`, ...) by how often they happened. */
  readonly outcomes: Record<string, number>;
  /** Outcomes by kind, for the figures: `kind -> outcome -> count`. */
  readonly outcomesByKind: Record<string, Record<string, number>>;
  /** How many inputs broke a promise, and the first few, described. */
  readonly violationCount: number;
  readonly violations: readonly string[];
  readonly elapsedMs: number;
  /** The slowest single input, ms (a hang shows here, bounded by the target's per-input deadline). */
  readonly slowestMs: number;
  /** Extra figures a target measures (heap, reconnects, server events). */
  readonly extra: Record<string, number>;
}

const KEEP_VIOLATIONS = 20;

/** Accumulates a {@link FuzzReport}. */
export class Tally {
  private inputs = 0;
  private readonly byKind: Record<string, number> = {};
  private readonly outcomes: Record<string, number> = {};
  private readonly outcomesByKind: Record<string, Record<string, number>> = {};
  private readonly violations: string[] = [];
  private violationCount = 0;
  private slowestMs = 0;
  private readonly started = performance.now();
  readonly extra: Record<string, number> = {};

  constructor(readonly target: string) {}

  /** Records one input's outcome and how long it took. */
  record(input: FuzzInput, outcome: string, ms: number): void {
    this.inputs++;
    this.byKind[input.kind] = (this.byKind[input.kind] ?? 0) + 1;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    const kind = (this.outcomesByKind[input.kind] ??= {});
    kind[outcome] = (kind[outcome] ?? 0) + 1;
    if (ms > this.slowestMs) this.slowestMs = ms;
  }

  /** Records a broken promise about `input` (or about the target as a whole). */
  violation(input: FuzzInput | undefined, what: string): void {
    this.violationCount++;
    if (this.violations.length < KEEP_VIOLATIONS) {
      this.violations.push(input ? `#${input.index} ${input.kind} [${describeData(input.data)}]: ${what}` : what);
    }
  }

  count(name: string, by = 1): void {
    this.extra[name] = (this.extra[name] ?? 0) + by;
  }

  report(): FuzzReport {
    return {
      target: this.target,
      inputs: this.inputs,
      byKind: { ...this.byKind },
      outcomes: { ...this.outcomes },
      outcomesByKind: JSON.parse(JSON.stringify(this.outcomesByKind)) as Record<string, Record<string, number>>,
      violationCount: this.violationCount,
      violations: [...this.violations],
      elapsedMs: Math.round(performance.now() - this.started),
      slowestMs: Math.round(this.slowestMs * 10) / 10,
      extra: { ...this.extra },
    };
  }
}

/** The first bytes of an input, in hex, to reproduce it by hand. */
function describeData(data: Uint8Array | string): string {
  if (typeof data === 'string') return `text(${data.length}) ${JSON.stringify(data.slice(0, 24))}`;
  const head = Array.from(data.subarray(0, 24), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${data.byteLength} bytes: ${head}${data.byteLength > 24 ? ' …' : ''}`;
}
