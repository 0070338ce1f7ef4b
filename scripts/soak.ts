/*
 * `npm run soak`: the long soak (200,000 reliable messages under seeded random faults), or `-- --quick` for the form
 * `npm test` runs. `-- --seed N` replays a run's fault schedule; `-- --messages N` changes its length. Prints the
 * figures and exits 0 only when nothing was lost, duplicated or reordered.
 */
import { commandLineOrExit, integerOption, readCommandLine } from './command-line';
import { FULL_SOAK, QUICK_SOAK, runSoak, type SoakOptions, type SoakReport } from './soak-run';

const USAGE = `usage: node dist/scripts/soak.js [--quick] [--seed N] [--messages N]
  --quick        the bounded form npm test runs (${QUICK_SOAK.messages} messages) instead of ${FULL_SOAK.messages}
  --seed N       replays a run's fault schedule (default: a random seed, printed)
  --messages N   reliable messages to send`;

function parseSoakArgs(argv: readonly string[]): SoakOptions | 'help' {
  const line = readCommandLine(argv, { quick: { type: 'boolean' }, seed: { type: 'string' }, messages: { type: 'string' } });
  if (line === 'help') return line;
  const { values } = line;
  const base = values.quick ? QUICK_SOAK : FULL_SOAK;
  return {
    ...base,
    seed: integerOption('--seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0),
    messages: integerOption('--messages', values.messages, base.messages, 0),
  };
}

function print(report: SoakReport): void {
  const line = (label: string, value: unknown) => process.stdout.write(`  ${label.padEnd(22)} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  line('seed', report.seed);
  line('reliable messages', report.messages);
  line('arrivals checked', report.checked);
  line('lost', report.lost);
  line('duplicated', report.duplicated);
  line('out of order', report.outOfOrder);
  line('sends rejected', report.rejected);
  line('faults injected', report.faults);
  line('mid-frame cuts made', report.midFrameCuts);
  line('connections refused', report.refusedConnections);
  line('reconnects', report.reconnects);
  line('resyncs', report.resyncs);
  line('protocol errors', report.protocolErrors);
  line('game inputs', report.inputs);
  line('elapsed', `${(report.elapsedMs / 1000).toFixed(1)} s`);
  if (report.stalled) line('STALLED', report.stalled);
  for (const text of report.diagnostics ?? []) line('', text);
}

async function main(): Promise<void> {
  const options = commandLineOrExit('multisocket soak', USAGE, () => parseSoakArgs(process.argv.slice(2)));
  process.stdout.write(`multisocket soak: ${options.messages} reliable messages, seed ${options.seed} (replay with --seed ${options.seed})\n`);
  const report = await runSoak({ ...options, progress: (text) => process.stdout.write(`  ... ${text}\n`) });
  print(report);
  const ok = report.lost === 0 && report.duplicated === 0 && report.outOfOrder === 0 && !report.stalled;
  process.stdout.write(ok ? 'multisocket soak: OK\n' : 'multisocket soak: FAILED\n');
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
