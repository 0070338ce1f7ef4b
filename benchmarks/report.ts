/*
 * The readable side of a run: the machine it ran on, and one plain-text table per suite (median, spread, note),
 * followed by every tracked ratio against its goal.
 */
import { cpus, release, totalmem, type as osType } from 'node:os';
import type { SuiteResult } from './types';

/** Where a run happened: enough to tell two runs' machines apart. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly arch: string;
}

/** The machine this process runs on. */
export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown CPU',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    arch: process.arch,
  };
}

/** A figure with as many digits as it deserves: 123,456 / 1,234 / 12.3 / 1.23 / 0.123. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** One suite as a text table: label, median, unit, min-max over the rounds, note. */
export function formatSuite(result: SuiteResult): string {
  const lines = [`${result.title}  [${result.rounds} rounds]`];
  const labelWidth = Math.max(...result.rows.map((r) => r.label.length), 10);
  const valueWidth = Math.max(...result.rows.map((r) => formatNumber(r.value).length), 6);
  const unitWidth = Math.max(...result.rows.map((r) => r.unit.length), 4);
  const spreads = result.rows.map((r) => (r.min !== undefined && r.max !== undefined ? `${formatNumber(r.min)}-${formatNumber(r.max)}` : ''));
  const spreadWidth = Math.max(...spreads.map((s) => s.length), 7);
  lines.push(`  ${pad('', labelWidth)}  ${pad('median', valueWidth, true)}  ${pad('unit', unitWidth)}  ${pad('min-max', spreadWidth)}`);
  result.rows.forEach((row, i) => {
    const note = row.note ? `  ${row.note}` : '';
    lines.push(
      `  ${pad(row.label, labelWidth)}  ${pad(formatNumber(row.value), valueWidth, true)}  ${pad(row.unit, unitWidth)}  ${pad(spreads[i] as string, spreadWidth)}${note}`.trimEnd(),
    );
  });
  for (const [key, value] of Object.entries(result.ratios)) {
    const goal = result.goals[key];
    const verdict = goal ? `goal ${goal.text}: ${goal.met ? 'met' : 'NOT MET'}` : '(diagnostic, no goal)';
    lines.push(`  ratios.${key} = ${formatNumber(value)}  ${verdict}`);
  }
  return lines.join('\n');
}

/** Every ratio of the run with its goal, one per line. */
export function formatSummary(results: readonly SuiteResult[]): string {
  const entries = results.flatMap((r) => Object.entries(r.goals).map(([key, goal]) => ({ key, goal, value: r.ratios[key] })));
  const width = Math.max(...entries.map((e) => e.key.length), 10);
  const lines = ['Tracked ratios (each against a baseline measured in this same run)'];
  for (const { key, goal, value } of entries) {
    const shown = value === undefined ? 'missing' : formatNumber(value);
    lines.push(`  ${pad(key, width)}  ${pad(shown, 8, true)}  goal ${pad(goal.text, 7)}  ${goal.met ? 'met' : 'NOT MET'}`);
  }
  return lines.join('\n');
}
