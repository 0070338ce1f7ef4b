import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { Summary } from '../../loadtest/summary';
import { launchChromium } from '../support/chromium';
import { type CountingServer, runLoadtest, startCountingServer } from '../support/loadtest-run';

// `--report FILE.html` opened in headless Chromium from the file, with every request outside it refused: the charts are
// drawn (each series a path through its points) and the numbers are the JSON summary's.

let server: CountingServer;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  server = await startCountingServer();
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'loadtest-report-'));
});

afterAll(async () => {
  await browser?.close();
  await server?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `path` ("a.b.c") of `value`. */
const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], value);

it('is a page whose SVG charts are drawn and whose numbers match the JSON summary, needing no network', async () => {
  const report = join(dir, 'report.html');
  const args = ['--url', server.url, '--players', '30', '--ramp', '15', '--duration', '3', '--game-rate', '5', '--chat-rate', '1', '--room-size', '5'];
  const result = await runLoadtest([...args, '--json', '--report', report]);
  expect(result.status).toBe(0);
  expect(result.stderr).toContain(`report written to ${report}`);
  const summary = JSON.parse(result.stdout) as Summary;

  const page = await browser.newPage();
  const requests: string[] = [];
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url().startsWith('file:') ? route.continue() : route.abort();
  });
  await page.goto(pathToFileURL(report).href);
  expect(requests).toEqual([pathToFileURL(report).href]);

  const charts = await page.$$eval('figure', (figures) =>
    figures.map((figure) => ({
      title: figure.querySelector('figcaption')?.textContent ?? '',
      series: [...figure.querySelectorAll('path.series')].map((path) => ({ name: path.getAttribute('data-name'), d: path.getAttribute('d') ?? '', length: (path as unknown as { getTotalLength(): number }).getTotalLength() })),
    })),
  );
  expect(charts.map((chart) => chart.title)).toEqual([
    'Players (count)',
    'Throughput (messages per second)',
    'Game round trip (ms)',
    'Errors (per second)',
    'Load generator (event-loop lag p99, ms)',
  ]);
  for (const chart of charts) {
    expect(chart.series.length).toBeGreaterThan(0);
    for (const series of chart.series) {
      // A line through at least two seconds of the run; the players' line climbs the ramp, so it has a length.
      expect(series.d).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+/);
    }
  }
  expect(charts[0]?.series[0]?.length).toBeGreaterThan(0);

  const cells = await page.$$eval('td[data-key]', (tds) => tds.map((td) => [td.getAttribute('data-key') as string, td.textContent as string] as const));
  expect(cells.length).toBeGreaterThan(10);
  for (const [key, text] of cells) expect([key, text]).toEqual([key, String(at(summary, key) ?? '-')]);
  expect(await page.textContent('#verdict')).toBe('PASS');
  await page.close();
});
