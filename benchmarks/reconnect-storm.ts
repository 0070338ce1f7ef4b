/*
 * Reconnect storm (`ratios.reconnectPeakShare`): 200 clients lose the server at once (a proxy in front of it cuts
 * every connection); with the default backoff, the largest share of their reconnect attempts that falls in any 100 ms
 * window. socket.io-client with its default reconnection options is the reference row, in the same scenario and run.
 */
import { backoffDelay, DEFAULT_BACKOFF } from '../src/time/backoff';
import { atMost, median, peakShare, quantile, rowOf } from './measure';
import { startScript, type ScriptProcess } from './script-process';
import type { StormReport } from './clients/storm-client';
import type { Suite, SuiteRow } from './types';

const CLIENTS = 200;
const WINDOW_MS = 100;

/** The peak share the backoff's first attempt gives `clients` clients, by simulation (median of `trials`). */
function simulatedPeakShare(clients: number, trials: number): number {
  const shares: number[] = [];
  for (let t = 0; t < trials; t++) {
    const times: number[] = [];
    for (let c = 0; c < clients; c++) times.push(backoffDelay(0, DEFAULT_BACKOFF, Math.random));
    shares.push(peakShare(times, WINDOW_MS));
  }
  return median(shares);
}

interface Fleet {
  readonly kind: 'multisocket' | 'socketio';
  readonly server: ScriptProcess;
  readonly client: ScriptProcess;
}

async function startFleet(kind: Fleet['kind']): Promise<Fleet> {
  const server = startScript('servers/storm-server', [kind]);
  try {
    const { url } = await server.next<{ type: string; url: string }>('ready', 10_000);
    const client = startScript('clients/storm-client', [kind, url]);
    await client.next('ready', 10_000);
    return { kind, server, client };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function connectAndClose(fleet: Fleet): Promise<void> {
  fleet.client.send({ type: 'connect', clients: CLIENTS });
  await fleet.client.next('connected', 30_000);
  fleet.client.send({ type: 'close' });
  await fleet.client.next('closed', 10_000);
}

/** One storm: a fresh fleet connects, loses the server at once, and reconnects. */
async function storm(fleet: Fleet): Promise<StormReport> {
  fleet.client.send({ type: 'connect', clients: CLIENTS });
  await fleet.client.next('connected', 30_000);
  fleet.server.send({ type: 'drop' });
  await fleet.server.next('dropped', 5_000);
  const report = await fleet.client.next<StormReport>('storm', 45_000);
  fleet.client.send({ type: 'close' });
  await fleet.client.next('closed', 10_000);
  if (report.missing > 0) throw new Error(`reconnect storm (${fleet.kind}): ${report.missing} of ${CLIENTS} clients did not reconnect`);
  return report;
}

export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 5 : 9;
  const fleets: Fleet[] = [];
  try {
    fleets.push(await startFleet('multisocket'), await startFleet('socketio'));
    // Warm-up: every client connects and closes once. The storms themselves run on timers, which need no warming.
    await Promise.all(fleets.map((f) => connectAndClose(f)));
    const ours: StormReport[] = [];
    const theirs: StormReport[] = [];
    for (let r = 0; r < rounds; r++) {
      // Both fleets in the same round (separate processes, each server behind its own proxy): a storm lasts as long as
      // its backoff spreads it, and the attempts' timing is set by timers, not by CPU.
      const [a, b] = await Promise.all(fleets.map((f) => storm(f)));
      ours.push(a as StormReport);
      theirs.push(b as StormReport);
    }
    const share = median(ours.map((s) => peakShare(s.attempts, WINDOW_MS)));
    const rows: SuiteRow[] = [
      ...describe(`multisocket, default backoff (full jitter, first retry within ${DEFAULT_BACKOFF.baseMs} ms)`, ours),
      {
        label: 'multisocket, the same backoff simulated (backoffDelay, first attempts only)',
        value: simulatedPeakShare(CLIENTS, quick ? 200 : 1000),
        unit: 'share',
        note: `${CLIENTS} clients, median of ${quick ? 200 : 1000} trials`,
      },
      ...describe('socket.io-client 4, default reconnection (1000 ms +-50%), reference', theirs),
    ];
    return {
      name: 'reconnect-storm',
      title: `Reconnect storm (${CLIENTS} clients lose the server at once; attempts per ${WINDOW_MS} ms window)`,
      rows,
      ratios: { reconnectPeakShare: share },
      goals: { reconnectPeakShare: atMost(share, 0.1) },
      rounds,
    };
  } finally {
    await Promise.all(fleets.flatMap((f) => [f.client.stop(), f.server.stop()]));
  }
};

function describe(label: string, storms: readonly StormReport[]): SuiteRow[] {
  const attempts = storms.reduce((n, s) => n + s.attempts.length, 0) / storms.length;
  return [
    rowOf(`${label}: peak share of attempts in ${WINDOW_MS} ms`, storms.map((s) => peakShare(s.attempts, WINDOW_MS)), 'share', `${CLIENTS} clients, ${attempts.toFixed(0)} attempts per storm`),
    rowOf(`${label}: one client's reconnect time, median`, storms.map((s) => quantile(s.reconnectMs, 0.5)), 'ms'),
    rowOf(`${label}: the whole fleet back`, storms.map((s) => Math.max(...s.reconnectMs)), 'ms'),
  ];
}
