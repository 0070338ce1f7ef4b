#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { commandLineOrExit } from '../scripts/command-line';
import { type LoadOptions, parseLoadOptions, USAGE } from './options';
import { htmlReport } from './report';
import { type Point, Run } from './run';
import { summarize, table } from './summary';
import type { Snapshot } from './tally';
import type { WorkerMessage, WorkerSetup } from './worker';

/*
 * `multisocket-loadtest` (package.json `bin`; `npm run loadtest` here): simulated players against a server, a live
 * line a second on stderr, a summary on stdout (or JSON), an HTML report on request, and an exit code that can gate a
 * deployment. --help lists the options (options.ts).
 */

const COMMAND = 'multisocket-loadtest';

/** The reference server with chat and game, on 127.0.0.1 in this process: its URL and how to stop it. */
async function referenceServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer, installChat, installGame } = await import('../server');
  const server = createServer({ host: '127.0.0.1', port: 0 });
  installChat(server);
  installGame(server);
  const address = await server.listen();
  return { url: `${address.url}/ws`, close: () => server.close() };
}

/** Each worker's players: whole rooms, dealt round the workers; player i starts at i / ramp seconds. */
function deal(options: LoadOptions, url: string, startAt: number): WorkerSetup[] {
  const setups = Array.from({ length: options.workers }, () => [] as { index: number; room: string; atMs: number }[]);
  for (let index = 0; index < options.players; index++) {
    const room = Math.floor(index / options.roomSize);
    setups[room % options.workers]?.push({ index, room: `load-${room}`, atMs: Math.round((index / options.ramp) * 1000) });
  }
  return setups
    .filter((players) => players.length > 0)
    .map((players) => ({ url, players, startAt, gameRate: options.gameRate, chatRate: options.chatRate, token: options.token, tokenCommand: options.tokenCommand, faults: options.faults }));
}

const BAR = 24;

/** The live line: players, messages, game round trip, errors, and the ramp's bar on a terminal. */
function liveLine(point: Point, target: number, tty: boolean): string {
  const rtt = point.rttP50 === null ? 'rtt -' : `rtt p50 ${point.rttP50} p99 ${point.rttP99} ms`;
  const text = `${point.t.toFixed(0)}s players ${point.connected}/${target}  in ${point.inPerS}/s out ${point.outPerS}/s  ${rtt}  errors ${point.errors}  lag ${point.lagMs} ms`;
  if (!tty) return `${text}\n`;
  const done = Math.round((BAR * Math.min(point.players, target)) / target);
  return `\r\x1b[2K[${'#'.repeat(done)}${'.'.repeat(BAR - done)}] ${text}`;
}

/** The players run on `ws`, an optional peer of the package: without it, one line that says what to install. */
function requireWs(): void {
  try {
    require.resolve('ws');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    process.stderr.write(`${COMMAND}: the players need the "ws" package, which is not installed: npm install ws\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const options = commandLineOrExit(COMMAND, USAGE, () => parseLoadOptions(process.argv.slice(2)));
  requireWs();
  const own = options.url === undefined ? await referenceServer() : undefined;
  const url = options.url ?? (own as { url: string }).url;
  const run = new Run();
  const setups = deal(options, url, Date.now() + 100);
  const tty = process.stderr.isTTY === true;
  const latest = new Map<Worker, Snapshot>();
  const done = new Map<Worker, Extract<WorkerMessage, { type: 'done' }>>();
  let cpuBefore = process.cpuUsage();
  let cpuAt = Date.now();
  const cpuSince = (): number => {
    const used = process.cpuUsage(cpuBefore);
    const now = Date.now();
    const cores = (used.user + used.system) / 1000 / Math.max(1, now - cpuAt);
    cpuBefore = process.cpuUsage();
    cpuAt = now;
    return cores;
  };

  const finished = new Promise<void>((resolve, reject) => {
    const workers = setups.map((setup) => {
      const worker = new Worker(join(__dirname, 'worker.js'), { workerData: setup });
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'second') {
          latest.set(worker, message.snapshot);
          if (latest.size < workers.length) return;
          const point = run.add([...latest.values()], cpuSince(), true);
          latest.clear();
          process.stderr.write(liveLine(point, options.players, tty));
          return;
        }
        done.set(worker, message);
        if (done.size < workers.length) return;
        const last = [...done.values()];
        run.add([...latest.values(), ...last.map((d) => d.snapshot)], cpuSince(), false);
        for (const d of last) {
          run.lost += d.lost;
          run.linesSaid += d.linesSaid;
          run.unsettled += d.unsettled;
        }
        resolve();
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (!done.has(worker)) reject(new Error(`a worker exited (code ${code}) before its players were counted`));
      });
      return worker;
    });
    const stopAfterMs = (options.players / options.ramp + options.duration) * 1000 + 100;
    setTimeout(() => workers.forEach((worker) => worker.postMessage({ type: 'stop' })), stopAfterMs);
  });
  try {
    await finished;
  } catch (error) {
    process.stderr.write(`${COMMAND}: a worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  }
  if (tty) process.stderr.write('\n');
  await own?.close();
  const summary = summarize(run, options, url, availableParallelism());
  process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${table(summary)}\n`);
  if (options.report !== undefined) {
    writeFileSync(options.report, htmlReport(summary, run.points));
    process.stderr.write(`report written to ${options.report}\n`);
  }
  process.exit(summary.failures.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${COMMAND}: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
