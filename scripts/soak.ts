/*
 * `npm run soak`: the long soak (200,000 reliable messages under seeded random faults), or `-- --quick` for the form
 * `npm test` runs. `-- --seed N` replays a run's fault schedule; `-- --messages N` changes its length. Prints the
 * figures and exits 0 only when nothing was lost, duplicated or reordered.
 */
import { FULL_SOAK, QUICK_SOAK, runSoak, type SoakReport } from './soak-run';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
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
  const base = process.argv.includes('--quick') ? QUICK_SOAK : FULL_SOAK;
  const seed = positiveInteger('seed', arg('seed'), Math.floor(Math.random() * 2 ** 31));
  const messages = positiveInteger('messages', arg('messages'), base.messages);
  process.stdout.write(`multisocket soak: ${messages} reliable messages, seed ${seed} (replay with --seed ${seed})\n`);
  const report = await runSoak({ ...base, seed, messages, progress: (text) => process.stdout.write(`  ... ${text}\n`) });
  print(report);
  const ok = report.lost === 0 && report.duplicated === 0 && report.outOfOrder === 0 && !report.stalled;
  process.stdout.write(ok ? 'multisocket soak: OK\n' : 'multisocket soak: FAILED\n');
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
