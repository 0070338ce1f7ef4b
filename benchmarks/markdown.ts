/*
 * Prints a results file (default: benchmarks/results/latest.json) as Markdown tables, for BENCHMARKS.md:
 * `node dist/benchmarks/markdown.js [path/to/latest.json]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLineOrExit, readCommandLine } from '../scripts/command-line';
import { formatNumber, type Machine } from './report';
import type { SuiteResult, SuiteTable } from './types';

interface Report {
  machine: Machine;
  node: string;
  quick: boolean;
  date: string;
  durationS?: number;
  suites: SuiteResult[];
  ratios: Record<string, number>;
  goals: Record<string, { text: string; met: boolean }>;
  errors?: { suite: string; message: string }[];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A suite's grid: a row per contender, a column per figure, each cell with the unit. */
function gridOf(table: SuiteTable): string[] {
  return [
    `| | ${table.columns.map(cell).join(' | ')} |`,
    `|---|${table.columns.map(() => '---:').join('|')}|`,
    ...table.rows.map((row) => `| ${cell(row.label)} | ${row.cells.map((value) => `${Number.isInteger(value) ? value : value.toFixed(1)} ${table.unit}`).join(' | ')} |`),
    ...(table.notes && table.notes.length > 0 ? ['', ...table.notes.map((note) => `- ${note}`)] : []),
  ];
}

/** The report as Markdown: the machine, one table per suite (or its grid), then every tracked ratio against its goal. */
export function toMarkdown(report: Report): string {
  const m = report.machine;
  const out: string[] = [
    `Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (quick)' : ''}: ${m.cpu} x${m.cores}, ${m.memoryGiB} GiB, ` +
      `${m.os} ${m.arch}, Node ${report.node}${report.durationS ? `, ${report.durationS} s` : ''}.`,
    '',
    '| ratio | value | goal | |',
    '|---|---:|---|---|',
  ];
  for (const [key, goal] of Object.entries(report.goals)) {
    const value = report.ratios[key];
    out.push(`| \`${key}\` | ${value === undefined ? 'missing' : formatNumber(value)} | ${cell(goal.text)} | ${goal.met ? 'met' : '**not met**'} |`);
  }
  for (const suite of report.suites) {
    if (suite.table) {
      out.push('', `**${cell(suite.title)}**`, '', ...gridOf(suite.table));
      continue;
    }
    out.push('', `**${cell(suite.title)}** (${suite.rounds} rounds)`, '', '| figure | median | unit | min–max | note |', '|---|---:|---|---|---|');
    for (const row of suite.rows) {
      const spread = row.min !== undefined && row.max !== undefined ? `${formatNumber(row.min)}–${formatNumber(row.max)}` : '';
      out.push(`| ${cell(row.label)} | ${formatNumber(row.value)} | ${cell(row.unit)} | ${spread} | ${cell(row.note ?? '')} |`);
    }
    const diagnostics = Object.keys(suite.ratios).filter((key) => !(key in suite.goals));
    if (diagnostics.length > 0) {
      out.push('', `Diagnostic ratios (no goal): ${diagnostics.map((key) => `\`${key}\` ${formatNumber(suite.ratios[key] as number)}`).join(', ')}.`);
    }
  }
  for (const error of report.errors ?? []) out.push('', `Suite \`${error.suite}\` failed: ${cell(error.message.split('\n')[0] ?? '')}`);
  return `${out.join('\n')}\n`;
}

const USAGE = 'usage: node dist/benchmarks/markdown.js [path/to/latest.json] (default: benchmarks/results/latest.json)';

if (require.main === module) {
  const { positionals } = commandLineOrExit('multisocket benchmarks markdown', USAGE, () => readCommandLine(process.argv.slice(2), {}, 1));
  const path = positionals[0] ?? join(__dirname, '..', '..', 'benchmarks', 'results', 'latest.json');
  process.stdout.write(toMarkdown(JSON.parse(readFileSync(path, 'utf8')) as Report));
}
