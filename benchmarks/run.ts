/*
 * `npm run bench`: runs every suite in order, prints one table per suite and the tracked ratios, and writes
 * `benchmarks/results/latest.json` and `benchmarks/results/latest.svg`. Every ratio is measured against a baseline in
 * this same run on this same machine; absolute figures are printed with their spread but never asserted. Exits 0 when
 * every suite ran (met goals or not), 1 when a suite threw.
 *
 * Options: `--quick` (fewer rounds, smaller workloads, same JSON shape, written as latest-quick.json/.svg; under two minutes: 94 s on the 2-core machine), `--only=codec,echo` (a subset,
 * for profiling), `--out=<dir>` (where to write the results; default benchmarks/results in the repository).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commandLineOrExit, OptionError, readCommandLine } from '../scripts/command-line';
import { renderChart, type ChartBar } from './chart';
import { suite as codec } from './codec';
import { suite as decodeCost } from './decode-cost';
import { suite as bytes } from './wire-bytes';
import { suite as echo } from './echo';
import { suite as fanout } from './fanout';
import { suite as gameChat } from './game-chat';
import { suite as memory } from './memory';
import { suite as reconnectFirstFrame } from './reconnect-first-frame';
import { suite as reconnectStorm } from './reconnect-storm';
import { describeMachine, formatSuite, formatSummary } from './report';
import { suite as router } from './router';
import { suite as scale } from './scale';
import type { Suite, SuiteResult } from './types';

/** Every suite, in the issue's order. Adding one is one line here. */
const SUITES: ReadonlyArray<readonly [name: string, suite: Suite]> = [
  ['codec', codec],
  ['decode-cost', decodeCost],
  ['echo', echo],
  ['game-chat', gameChat],
  ['router', router],
  ['memory', memory],
  ['reconnect-storm', reconnectStorm],
  ['reconnect-first-frame', reconnectFirstFrame],
  ['fanout', fanout],
  ['scale', scale],
  ['bytes', bytes],
];

const USAGE = `usage: node dist/benchmarks/run.js [--quick] [--only=SUITE,...] [--out=DIR]
  --quick      fewer rounds, smaller workloads; writes latest-quick.json/.svg
  --only=...   a subset of: ${SUITES.map(([name]) => name).join(', ')}
  --out=DIR    where to write the results (default benchmarks/results in the repository)`;

interface RunOptions {
  readonly quick: boolean;
  readonly only: readonly string[] | undefined;
  readonly outDir: string;
}

function parseRunArgs(argv: readonly string[]): RunOptions | 'help' {
  const line = readCommandLine(argv, { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' } });
  if (line === 'help') return line;
  const { values } = line;
  const only = values.only?.split(',');
  const unknown = only?.find((name) => !SUITES.some(([suite]) => suite === name));
  if (unknown !== undefined) throw new OptionError('invalid_option', '--only', `--only names no suite "${unknown}"`);
  // dist/benchmarks/run.js -> <repo>/benchmarks/results
  return { quick: values.quick === true, only, outDir: resolve(values.out ?? join(__dirname, '..', '..', 'benchmarks', 'results')) };
}

async function main(): Promise<number> {
  const { quick, only, outDir } = commandLineOrExit('multisocket benchmarks', USAGE, () => parseRunArgs(process.argv.slice(2)));
  const machine = describeMachine();
  const started = Date.now();
  const date = new Date(started).toISOString();
  process.stdout.write(
    `multisocket benchmarks: ${machine.cpu} x${machine.cores}, ${machine.memoryGiB} GiB, ${machine.os} ${machine.arch}, ` +
      `Node ${process.version}${quick ? ', quick' : ''}, ${date}\n\n`,
  );

  const results: SuiteResult[] = [];
  const errors: { suite: string; message: string }[] = [];
  for (const [name, suite] of SUITES) {
    if (only && !only.includes(name)) continue;
    const t0 = Date.now();
    try {
      const result = await suite({ quick });
      results.push(result);
      process.stdout.write(`${formatSuite(result)}\n  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n\n`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ suite: name, message });
      process.stdout.write(`Suite ${name} FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s:\n  ${message}\n\n`);
    }
  }

  const ratios: Record<string, number> = {};
  const goals: Record<string, { text: string; met: boolean }> = {};
  for (const result of results) {
    Object.assign(ratios, result.ratios);
    Object.assign(goals, result.goals);
  }
  process.stdout.write(`${formatSummary(results)}\n`);

  const report = { machine, node: process.version, quick, date, durationS: Math.round((Date.now() - started) / 100) / 10, suites: results, ratios, goals, errors };
  const bars: ChartBar[] = Object.entries(goals).map(([key, goal]) => ({ key, value: ratios[key] as number, goal: goal.text, met: goal.met }));
  const subtitle = `${date.slice(0, 10)}, ${machine.cpu} x${machine.cores}, Node ${process.version}${quick ? ', quick run' : ''}`;
  mkdirSync(outDir, { recursive: true });
  // A quick run never overwrites the full run's figures, which BENCHMARKS.md shows and the repository keeps.
  const base = quick ? 'latest-quick' : 'latest';
  writeFileSync(join(outDir, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, `${base}.svg`), renderChart(bars, subtitle));
  process.stdout.write(`\nWrote ${join(outDir, `${base}.json`)} and ${base}.svg in ${report.durationS} s.\n`);
  if (errors.length > 0) process.stdout.write(`${errors.length} suite(s) failed: ${errors.map((e) => e.suite).join(', ')}\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`benchmarks: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
