/*
 * The shape every benchmark suite returns, so `run.ts` can print one table, write one JSON file and draw one chart.
 * Absolute figures are reported, never asserted; the ratios are what is tracked over time.
 */

/** Options every suite accepts. */
interface SuiteOptions {
  /** Fewer rounds and smaller workloads, for `npm run bench -- --quick` (the whole run under two minutes). */
  readonly quick: boolean;
}

/** One measured figure: the median of the rounds, with their spread. */
export interface SuiteRow {
  /** What was measured, e.g. "multisocket channel, 1 msg per ws message". */
  readonly label: string;
  /** Median over the rounds. */
  readonly value: number;
  /** Unit of `value`, e.g. "msg/s", "ms", "MiB", "ns/dispatch". */
  readonly unit: string;
  /** Smallest and largest value over the rounds, when there were several. */
  readonly min?: number;
  readonly max?: number;
  /** Anything a reader needs to read the row right (e.g. "reference row", "client CPU 3.1 us/msg"). */
  readonly note?: string;
}

/** A suite's figures as one grid (rows by columns, one unit), where that reads better than a list of rows. */
export interface SuiteTable {
  readonly unit: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly label: string; readonly cells: readonly number[] }[];
  /** Lines printed under the grid (what a reader needs to read a row right). */
  readonly notes?: readonly string[];
}

/** What a suite returns. */
export interface SuiteResult {
  /** Stable key, e.g. "codec". */
  readonly name: string;
  /** Heading for the table. */
  readonly title: string;
  readonly rows: readonly SuiteRow[];
  /** The tracked ratios, e.g. `{ codecVsFloor: 0.95 }`. */
  readonly ratios: Readonly<Record<string, number>>;
  /** The goal of each ratio, as text and as a check, e.g. `{ codecVsFloor: { text: '>= 0.9', met: true } }`. */
  readonly goals: Readonly<Record<string, { readonly text: string; readonly met: boolean }>>;
  /** The same figures as a grid, for BENCHMARKS.md (markdown.ts prints it instead of `rows`). */
  readonly table?: SuiteTable;
  /** Number of measured rounds (after warm-up). */
  readonly rounds: number;
}

/** A suite: runs its rounds and resolves with its result. */
export type Suite = (options: SuiteOptions) => Promise<SuiteResult>;
