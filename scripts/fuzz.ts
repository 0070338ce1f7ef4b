/*
 * `npm run fuzz`: the full hostile-input run behind RELIABILITY.md. The same seeded inputs go to the client decoder,
 * to a Channel through a hostile server, and to a live reference server; it prints inputs by kind, outcomes, the
 * slowest input and heap growth after GC, and exits 1 if any promise broke.
 *
 *   node dist/scripts/fuzz.js [--quick] [--count N] [--seed N] [--json FILE]
 *
 * `--quick` is the size `npm test` runs (test/tools/fuzz.test.ts); the default is 100,000 inputs per target.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { commandLineOrExit, integerOption, readCommandLine } from './command-line';
import { fuzzChannel } from './fuzz-channel';
import { fuzzDecoder } from './fuzz-decoder';
import { loadCorpus } from './fuzz-corpus';
import { FUZZ_KINDS, FUZZ_SEED, fuzzSource } from './fuzz-inputs';
import { fuzzServer } from './fuzz-server';
import type { FuzzReport } from './fuzz-tally';

/** Heap growth after GC, over the last 90% of a target's inputs, above which the run fails, bytes. */
const MAX_HEAP_GROWTH = 8 * 1024 * 1024;

const USAGE = `usage: node dist/scripts/fuzz.js [--quick] [--count N] [--seed N] [--json FILE]
  --quick       the size npm test runs (1,500 inputs per target) instead of 100,000
  --count N     inputs per target, at least ${FUZZ_KINDS.length} (one of each kind); overrides --quick's
  --seed N      the generator's seed (default ${FUZZ_SEED}, the published runs')
  --json FILE   also write the figures to FILE as JSON`;

interface Args {
  count: number;
  seed: number;
  json: string | undefined;
}

function parseFuzzArgs(argv: readonly string[]): Args | 'help' {
  const line = readCommandLine(argv, {
    quick: { type: 'boolean' },
    count: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'string' },
  });
  if (line === 'help') return line;
  const { values } = line;
  return {
    count: integerOption('--count', values.count, values.quick ? 1_500 : 100_000, FUZZ_KINDS.length),
    seed: integerOption('--seed', values.seed, FUZZ_SEED, 0, 0xffffffff),
    json: values.json,
  };
}

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = collector();

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs a target on the first 10% (warm-up: JIT, caches), measures the heap, runs the rest, measures again. */
async function measured(
  run: (from: number, count: number) => FuzzReport | Promise<FuzzReport>,
  count: number,
): Promise<{ warmUp: FuzzReport; main: FuzzReport; heapGrowth: number; heapAfter: number }> {
  const warm = Math.max(FUZZ_KINDS.length, Math.floor(count / 10));
  const warmUp = await run(0, warm);
  const before = heapAfterGc();
  const main = await run(warm, count - warm);
  const heapAfter = heapAfterGc();
  return { warmUp, main, heapGrowth: heapAfter - before, heapAfter };
}

function merge(a: FuzzReport, b: FuzzReport): FuzzReport {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const byKind: Record<string, Record<string, number>> = {};
  for (const kind of new Set([...Object.keys(a.outcomesByKind), ...Object.keys(b.outcomesByKind)])) {
    byKind[kind] = add(a.outcomesByKind[kind] ?? {}, b.outcomesByKind[kind] ?? {});
  }
  return {
    target: a.target,
    inputs: a.inputs + b.inputs,
    byKind: add(a.byKind, b.byKind),
    outcomes: add(a.outcomes, b.outcomes),
    outcomesByKind: byKind,
    violationCount: a.violationCount + b.violationCount,
    violations: [...a.violations, ...b.violations],
    elapsedMs: a.elapsedMs + b.elapsedMs,
    slowestMs: Math.max(a.slowestMs, b.slowestMs),
    extra: add(a.extra, b.extra),
  };
}

function print(report: FuzzReport, heapGrowth: number, heapAfter: number): void {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  const out: string[] = [`\n## ${report.target}: ${report.inputs} inputs in ${(report.elapsedMs / 1000).toFixed(1)} s`];
  out.push(`slowest input ${report.slowestMs} ms; heap after GC ${mb(heapAfter)}, growth over the last 90% of inputs ${mb(heapGrowth)}`);
  out.push('', '| kind | inputs | outcomes |', '|---|---:|---|');
  for (const kind of FUZZ_KINDS) {
    const outcomes = Object.entries(report.outcomesByKind[kind] ?? {})
      .sort((x, y) => y[1] - x[1])
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    out.push(`| ${kind} | ${report.byKind[kind] ?? 0} | ${outcomes} |`);
  }
  out.push('', `outcomes: ${JSON.stringify(report.outcomes)}`);
  if (Object.keys(report.extra).length > 0) out.push(`figures: ${JSON.stringify(report.extra)}`);
  out.push(`violations: ${report.violationCount}`, ...report.violations.map((v) => `  - ${v}`));
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<void> {
  const args = commandLineOrExit('multisocket fuzz', USAGE, () => parseFuzzArgs(process.argv.slice(2)));
  const corpus = loadCorpus(join(__dirname, '..', '..', 'test', 'fuzz-corpus'));
  const source = fuzzSource(corpus, args.seed);
  process.stdout.write(`# multisocket fuzz: seed ${args.seed}, ${args.count} inputs per target, ${FUZZ_KINDS.length} kinds, corpus of ${corpus.length}\n`);
  const started = Date.now();
  const targets: [string, (from: number, count: number) => FuzzReport | Promise<FuzzReport>][] = [
    ['decoder', (from, count) => fuzzDecoder(source, from, count)],
    ['channel', (from, count) => fuzzChannel(source, from, count)],
    ['server', (from, count) => fuzzServer(source, from, count)],
  ];
  const results: Record<string, unknown> = { seed: args.seed, count: args.count };
  let failed = false;
  for (const [name, run] of targets) {
    const { warmUp, main: rest, heapGrowth, heapAfter } = await measured(run, args.count);
    const report = merge(warmUp, rest);
    print(report, heapGrowth, heapAfter);
    results[name] = { ...report, heapGrowth, heapAfter };
    if (report.violationCount > 0) failed = true;
    if (heapGrowth > MAX_HEAP_GROWTH) {
      process.stdout.write(`heap grew by more than ${MAX_HEAP_GROWTH} bytes\n`);
      failed = true;
    }
  }
  process.stdout.write(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s; ${failed ? 'FAILED' : 'every promise held'}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
