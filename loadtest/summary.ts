import type { LoadOptions } from './options';
import { Run } from './run';

/** What `--json` prints, and what the report shows: every latency in ms, null when nothing was measured. */
export interface Summary {
  readonly url: string;
  readonly seconds: number;
  readonly players: { readonly target: number; readonly peakConnected: number };
  readonly connectMs: { readonly p50: number | null; readonly p99: number | null };
  readonly game: { readonly inputs: number; readonly rttMs: { readonly p50: number | null; readonly p99: number | null; readonly p999: number | null; readonly samples: number } };
  readonly chat: {
    readonly said: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly outOfOrder: number;
    /** Lines whose say had no answer when the run ended. */
    readonly unanswered: number;
    readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  };
  readonly throughput: { readonly sentPerS: number; readonly receivedPerS: number; readonly sent: number; readonly received: number };
  readonly reconnects: number;
  readonly faults: number;
  readonly errors: number;
  readonly closes: Record<string, number>;
  /** The load generator itself: when it is the bottleneck, the latencies include its own delay. */
  readonly generator: { readonly workers: number; readonly cpuCores: number; readonly lagP99Ms: number; readonly bottleneck: boolean };
  /** Why the run failed (exit code 1); empty when it passed. */
  readonly failures: string[];
}

/** A worker whose event loop is this late (p99 over a second) is itself slowing the players down, ms. */
const GENERATOR_LAG_LIMIT_MS = 50;

export function summarize(run: Run, options: LoadOptions, url: string, cores: number): Summary {
  const seconds = Math.round(run.seconds * 10) / 10;
  const t = run.totals;
  // The first second holds each worker's start (loading the runtime and ws), not the players' load.
  const lagP99Ms = Math.max(0, ...run.points.slice(1).map((p) => p.lagMs));
  const cpuCores = run.points.length === 0 ? 0 : Math.round((run.points.reduce((sum, p) => sum + p.cpu, 0) / run.points.length) * 100) / 100;
  const rttP99 = Run.q(run.rtt, 0.99);
  const failures: string[] = [];
  if (run.lost > 0) failures.push(`${run.lost} chat line(s) lost`);
  if (t.duplicated > 0) failures.push(`${t.duplicated} chat line(s) duplicated`);
  if (options.maxP99 !== undefined && (rttP99 === null || rttP99 > options.maxP99)) failures.push(`game round trip p99 ${rttP99 ?? 'not measured'} ms is over --max-p99 ${options.maxP99}`);
  if (options.maxErrors !== undefined && t.errors > options.maxErrors) failures.push(`${t.errors} errors is over --max-errors ${options.maxErrors}`);
  return {
    url,
    seconds,
    players: { target: options.players, peakConnected: t.peakConnected },
    connectMs: { p50: Run.q(run.connect, 0.5), p99: Run.q(run.connect, 0.99) },
    game: { inputs: t.inputs, rttMs: { p50: Run.q(run.rtt, 0.5), p99: rttP99, p999: Run.q(run.rtt, 0.999), samples: run.rtt.seen } },
    chat: {
      said: run.linesSaid,
      lost: run.lost,
      duplicated: t.duplicated,
      outOfOrder: t.outOfOrder,
      unanswered: run.unsettled,
      latencyMs: { p50: Run.q(run.chat, 0.5), p99: Run.q(run.chat, 0.99) },
    },
    throughput: { sentPerS: Math.round(t.sent / seconds), receivedPerS: Math.round(t.received / seconds), sent: t.sent, received: t.received },
    reconnects: t.reconnects,
    faults: t.faults,
    errors: t.errors,
    closes: { ...run.closes },
    generator: { workers: options.workers, cpuCores, lagP99Ms, bottleneck: lagP99Ms > GENERATOR_LAG_LIMIT_MS || cpuCores > 0.9 * cores },
    failures,
  };
}

const ms = (value: number | null): string => (value === null ? '-' : `${value} ms`);

/** The summary as the table printed at the end (without `--json`). */
export function table(s: Summary): string {
  const rows: [string, string][] = [
    ['server', s.url],
    ['players', `${s.players.peakConnected} connected at most, of ${s.players.target}, over ${s.seconds} s`],
    ['connect time', `p50 ${ms(s.connectMs.p50)}, p99 ${ms(s.connectMs.p99)}`],
    ['game round trip', `p50 ${ms(s.game.rttMs.p50)}, p99 ${ms(s.game.rttMs.p99)}, p99.9 ${ms(s.game.rttMs.p999)} (${s.game.rttMs.samples} inputs)`],
    ['chat delivery', `p50 ${ms(s.chat.latencyMs.p50)}, p99 ${ms(s.chat.latencyMs.p99)}`],
    ['chat lines', `${s.chat.said} said: ${s.chat.lost} lost, ${s.chat.duplicated} duplicated, ${s.chat.outOfOrder} out of order, ${s.chat.unanswered} unanswered`],
    ['throughput', `${s.throughput.sentPerS} msg/s out, ${s.throughput.receivedPerS} msg/s in`],
    ['reconnects', `${s.reconnects} (${s.faults} faults injected)`],
    ['closes by code', Object.entries(s.closes).map(([code, count]) => `${code}: ${count}`).join(', ') || 'none'],
    ['errors', String(s.errors)],
    ['generator', `${s.generator.workers} worker(s), ${s.generator.cpuCores} cores busy, event-loop lag p99 ${s.generator.lagP99Ms} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  if (s.generator.bottleneck) lines.push('! the load generator was the bottleneck (CPU or event-loop lag): add --workers or machines; latencies include its delay');
  lines.push(s.failures.length === 0 ? 'PASS' : `FAIL: ${s.failures.join('; ')}`);
  return lines.join('\n');
}
