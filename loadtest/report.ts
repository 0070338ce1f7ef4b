import type { Point } from './run';
import type { Summary } from './summary';

/*
 * `--report FILE.html`: one self-contained page (inline SVG drawn here, no script, no stylesheet or font from a
 * network), the run's series as charts over time and the summary's numbers.
 */

interface Line {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 24 };

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A line chart of `lines` over the points' times; a missing value breaks its line. */
function chart(title: string, unit: string, times: readonly number[], lines: readonly Line[]): string {
  const values = lines.flatMap((line) => line.values.filter((v): v is number => v !== null));
  const top = Math.max(1, ...values) * 1.1;
  const end = Math.max(1, ...times);
  const x = (t: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * t) / end;
  const y = (v: number) => HEIGHT - PAD.bottom - ((HEIGHT - PAD.top - PAD.bottom) * v) / top;
  const paths = lines.map((line) => {
    let d = '';
    let pen = false;
    line.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(times[i] ?? 0).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    return `<path class="series" data-name="${escape(line.name)}" d="${d}" fill="none" stroke="${line.color}" stroke-width="1.5"/>`;
  });
  const ticks = [0, 0.5, 1].map((f) => {
    const v = top * f;
    return `<text x="${PAD.left - 4}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text><line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`;
  });
  const legend = lines.map((line, i) => `<text x="${PAD.left + 8 + i * 120}" y="${PAD.top + 4}" fill="${line.color}">${escape(line.name)}</text>`);
  return `<figure><figcaption>${escape(title)} (${escape(unit)})</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-size="11" font-family="sans-serif">${ticks.join('')}<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end">${Math.round(end)} s</text>${paths.join('')}${legend.join('')}</svg></figure>`;
}

/** The summary's numbers, each row's cells tagged with the JSON path it shows (`data-key`). */
function numbers(s: Summary): string {
  const rows: [string, string, unknown][] = [
    ['players connected at most', 'players.peakConnected', s.players.peakConnected],
    ['connect time p50, ms', 'connectMs.p50', s.connectMs.p50],
    ['connect time p99, ms', 'connectMs.p99', s.connectMs.p99],
    ['game round trip p50, ms', 'game.rttMs.p50', s.game.rttMs.p50],
    ['game round trip p99, ms', 'game.rttMs.p99', s.game.rttMs.p99],
    ['game round trip p99.9, ms', 'game.rttMs.p999', s.game.rttMs.p999],
    ['chat delivery p50, ms', 'chat.latencyMs.p50', s.chat.latencyMs.p50],
    ['chat delivery p99, ms', 'chat.latencyMs.p99', s.chat.latencyMs.p99],
    ['chat lines said', 'chat.said', s.chat.said],
    ['chat lines lost', 'chat.lost', s.chat.lost],
    ['chat lines duplicated', 'chat.duplicated', s.chat.duplicated],
    ['chat lines out of order', 'chat.outOfOrder', s.chat.outOfOrder],
    ['messages out per second', 'throughput.sentPerS', s.throughput.sentPerS],
    ['messages in per second', 'throughput.receivedPerS', s.throughput.receivedPerS],
    ['reconnects', 'reconnects', s.reconnects],
    ['faults injected', 'faults', s.faults],
    ['errors', 'errors', s.errors],
  ];
  const body = rows.map(([label, key, value]) => `<tr><th>${escape(label)}</th><td data-key="${key}">${escape(String(value ?? '-'))}</td></tr>`);
  const closes = Object.entries(s.closes).map(([code, count]) => `${escape(code)}: ${count}`).join(', ') || 'none';
  return `<table>${body.join('')}<tr><th>closes by code</th><td>${closes}</td></tr></table>`;
}

/** The report page for `summary` and the run's `points`. */
export function htmlReport(summary: Summary, points: readonly Point[]): string {
  const times = points.map((p) => p.t);
  const verdict = summary.failures.length === 0 ? 'PASS' : `FAIL: ${summary.failures.join('; ')}`;
  const charts = [
    chart('Players', 'count', times, [
      { name: 'connected', color: '#1f77b4', values: points.map((p) => p.connected) },
      { name: 'started', color: '#aaa', values: points.map((p) => p.players) },
    ]),
    chart('Throughput', 'messages per second', times, [
      { name: 'in', color: '#2ca02c', values: points.map((p) => p.inPerS) },
      { name: 'out', color: '#ff7f0e', values: points.map((p) => p.outPerS) },
    ]),
    chart('Game round trip', 'ms', times, [
      { name: 'p50', color: '#1f77b4', values: points.map((p) => p.rttP50) },
      { name: 'p99', color: '#d62728', values: points.map((p) => p.rttP99) },
    ]),
    chart('Errors', 'per second', times, [{ name: 'errors', color: '#d62728', values: points.map((p) => p.errors) }]),
    chart('Load generator', 'event-loop lag p99, ms', times, [{ name: 'lag', color: '#9467bd', values: points.map((p) => p.lagMs) }]),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>multisocket load test</title>
<style>body{font:14px sans-serif;margin:2em;max-width:700px}table{border-collapse:collapse}th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}figure{margin:1.5em 0}figcaption{font-weight:bold}</style>
</head><body>
<h1>multisocket load test</h1>
<p>${escape(summary.url)}: ${summary.players.target} players, ${summary.seconds} s. <strong id="verdict">${escape(verdict)}</strong></p>
${numbers(summary)}
${charts.join('\n')}
<script type="application/json" id="summary">${JSON.stringify(summary).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
