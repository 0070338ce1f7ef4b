/*
 * `npm run bench`: runs the benchmark suites and prints each figure as a ratio against a baseline measured in the
 * same process and run (absolute numbers are printed too, never asserted). `--quick` runs fewer rounds.
 */
import { cpus } from 'os';
import { runRouterBenchmark } from './router';

const quick = process.argv.includes('--quick');
process.stdout.write(`multisocket benchmarks on ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}${quick ? ' (quick)' : ''}\n\n`);

const router = runRouterBenchmark(quick ? { rounds: 5, iterations: 50_000 } : {});
process.stdout.write(
  [
    'Router scaling (dispatch of one message; 3 matching subscribers)',
    `  10 unrelated subscriptions      ${router.nsPerDispatchSmall.toFixed(0)} ns/dispatch (median of ${router.rounds})`,
    `  10,000 unrelated subscriptions  ${router.nsPerDispatchLarge.toFixed(0)} ns/dispatch`,
    `  ratios.routerScaling            ${router.ratio.toFixed(2)}  (goal <= 2)`,
    '',
  ].join('\n'),
);
