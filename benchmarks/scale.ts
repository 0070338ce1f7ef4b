/*
 * One server process at scale, against socket.io doing the same (`servers/multisocket` and `servers/socket-io`, the
 * same heartbeat interval for both): memory per idle connection (heap after GC, and RSS) and the CPU it takes to keep
 * them alive, a connect storm (every client at once: until all are open, and each one's p99), fan-out to one room
 * (our `broadcast` to the members against `io.to(room).emit`), and the largest count our server holds before the p99
 * of an echo doubles. The clients are bare sockets in several processes on several loopback addresses
 * (clients/scale-client), so neither they nor the ephemeral ports are the limit. Contenders alternate by round.
 */
import { freemem } from 'node:os';
import { atLeast, atMost, median, quantile, rowOf } from './measure';
import { pause } from './script-process';
import { connect, cpuPerSecond, echo, type Fleet, fanout, join, lost, openFilesLimit, type ScaleKind, startFleet, stopFleet, usage } from './scale-fleet';
import type { Suite, SuiteRow } from './types';

interface Sizes {
  readonly rounds: number;
  /** Idle connections for memory and CPU. */
  readonly idle: number;
  /** Clients of the connect storm (the first of the idle ones). */
  readonly storm: number;
  readonly members: number;
  readonly fanoutMessages: number;
  readonly fanoutRounds: number;
  readonly heartbeatMs: number;
  readonly cpuWindowMs: number;
  readonly echoes: number;
  /** Connection counts of the capacity steps, the first one the baseline. */
  readonly steps: readonly number[];
  /** Capacity steps stop starting once this much time has passed. */
  readonly capacityBudgetMs: number;
}

const FULL: Sizes = {
  rounds: 2, idle: 10_000, storm: 5_000, members: 1_000, fanoutMessages: 50, fanoutRounds: 5, heartbeatMs: 5_000, cpuWindowMs: 10_000,
  echoes: 500, steps: [1_000, 10_000, 20_000, 40_000, 80_000, 160_000], capacityBudgetMs: 240_000,
};
const QUICK: Sizes = {
  rounds: 1, idle: 1_000, storm: 500, members: 1_000, fanoutMessages: 20, fanoutRounds: 3, heartbeatMs: 1_000, cpuWindowMs: 2_000,
  echoes: 200, steps: [250, 1_000, 2_000], capacityBudgetMs: 5_000,
};

/** What one contender measured in one round. */
interface Round {
  readonly heapPerConn: number;
  readonly rssPerConn: number;
  readonly cpuMsPerS: number;
  readonly stormAllOpenMs: number;
  readonly stormP99Ms: number;
  readonly stormFailed: number;
  readonly stormWhy: string | undefined;
  readonly deliveriesPerS: number;
}

async function measure(kind: ScaleKind, s: Sizes): Promise<Round> {
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet(kind, s.heartbeatMs);
    const before = await usage(fleet, true);
    const storm = await connect(fleet, s.storm, true, 120_000);
    const rest = await connect(fleet, s.idle - fleet.connections, false, 300_000);
    if (rest.failed > 0) throw new Error(`scale (${kind}): ${rest.failed} of ${s.idle} idle connections failed to open`);
    // Every connection's heartbeat has run once before the window opens.
    await pause(s.heartbeatMs);
    const cpuMsPerS = await cpuPerSecond(fleet, s.cpuWindowMs);
    const after = await usage(fleet, true);
    const gone = await lost(fleet);
    if (gone > 0) throw new Error(`scale (${kind}): ${gone} idle connections were closed by the server (heartbeats not kept up?)`);
    await join(fleet, s.members);
    await fanout(fleet, s.members, s.fanoutMessages); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < s.fanoutRounds; r++) rates.push(await fanout(fleet, s.members, s.fanoutMessages));
    return {
      heapPerConn: (after.heapUsed - before.heapUsed) / fleet.connections,
      rssPerConn: (after.rss - before.rss) / fleet.connections,
      cpuMsPerS,
      stormAllOpenMs: storm.allOpenMs,
      stormP99Ms: quantile(storm.connectMs, 0.99),
      stormFailed: storm.failed,
      stormWhy: storm.why,
      deliveriesPerS: median(rates),
    };
  } finally {
    await stopFleet(fleet);
  }
}

interface Step {
  readonly connections: number;
  readonly p50: number;
  readonly p99: number;
  readonly rssMiB: number;
}

/** Sockets the server process keeps for itself (listener, stdio, epoll...) below its open-files limit. */
const SPARE_FILES = 64;

/**
 * Steps our server's connection count up until the echo p99 doubles against the best p99 of the steps before (a p99
 * that doubles is measured again, so one burst of load from elsewhere does not end it), a connection fails, the server
 * reaches its open-files limit, memory would run short, or the time budget is spent.
 */
async function capacity(s: Sizes): Promise<{ steps: Step[]; held: number; stopped: string }> {
  const started = Date.now();
  const steps: Step[] = [];
  let fleet: Fleet | undefined;
  try {
    // The server's default heartbeat (15 s), as a deployment runs it.
    fleet = await startFleet('multisocket', undefined);
    const files = openFilesLimit(fleet);
    for (const wanted of s.steps) {
      const n = (count: number) => count.toLocaleString('en-US');
      if (steps.length > 0 && Date.now() - started > s.capacityBudgetMs) return { steps, held: fleet.connections, stopped: `time budget of ${s.capacityBudgetMs / 1000} s spent` };
      const count = Math.min(wanted, files - SPARE_FILES);
      if (count <= fleet.connections) return { steps, held: fleet.connections, stopped: `the server's open-files limit (${n(files)}, ulimit -Hn) is reached` };
      const perConnection = steps.length > 0 ? ((steps[steps.length - 1] as Step).rssMiB * 1024 * 1024 * 3) / fleet.connections : 0;
      if (perConnection * (count - fleet.connections) > freemem() - 2 * 1024 ** 3) return { steps, held: fleet.connections, stopped: `${n(count)} would leave under 2 GiB free memory` };
      const opened = await connect(fleet, count - fleet.connections, false, 600_000);
      if (opened.failed > 0) return { steps, held: fleet.connections, stopped: `${opened.failed} connections failed to open on the way to ${n(count)} (${opened.why ?? '?'})` };
      await echo(fleet, 200); // warm-up: the echo path compiled (a cold baseline would hide a doubling)
      const best = Math.min(...steps.map((step) => step.p99));
      let probe = await echo(fleet, s.echoes);
      if (probe.p99 > 2 * best) probe = await echo(fleet, s.echoes);
      const gone = await lost(fleet);
      steps.push({ connections: count, ...probe, rssMiB: (await usage(fleet, false)).rss / 1024 / 1024 });
      if (gone > 0) return { steps, held: count - gone, stopped: `${gone} connections lost at ${n(count)}` };
      if (probe.p99 > 2 * best) return { steps, held: (steps[steps.length - 2] as Step).connections, stopped: `p99 ${probe.p99.toFixed(2)} ms at ${n(count)}, twice measured, > 2x the best before (${best.toFixed(2)} ms)` };
    }
    return { steps, held: fleet.connections, stopped: 'the last step held: the steps end there' };
  } finally {
    await stopFleet(fleet);
  }
}

export const suite: Suite = async ({ quick }) => {
  const s = quick ? QUICK : FULL;
  const ours: Round[] = [];
  const theirs: Round[] = [];
  for (let r = 0; r < s.rounds; r++) {
    // One contender at a time (both on one machine would share its cores), the order swapped each round.
    for (const kind of (r % 2 === 0 ? ['multisocket', 'socketio'] : ['socketio', 'multisocket']) as ScaleKind[]) {
      (kind === 'multisocket' ? ours : theirs).push(await measure(kind, s));
    }
  }
  const cap = await capacity(s);

  type Figure = Exclude<keyof Round, 'stormWhy'>;
  const med = (rounds: Round[], key: Figure) => median(rounds.map((x) => x[key]));
  const ratio = (key: Figure) => med(ours, key) / med(theirs, key);
  const ratios = {
    scaleHeapPerConnVsSocketIo: ratio('heapPerConn'),
    scaleRssPerConnVsSocketIo: ratio('rssPerConn'),
    scaleIdleCpuVsSocketIo: ratio('cpuMsPerS'),
    scaleStormAllOpenVsSocketIo: ratio('stormAllOpenMs'),
    scaleStormP99VsSocketIo: ratio('stormP99Ms'),
    scaleFanoutVsSocketIo: ratio('deliveriesPerS'),
    scaleConnectionsHeld: cap.held,
  };
  const both = (label: string, key: Figure, unit: string, scale: number, note?: string, theirNote = 'reference row'): SuiteRow[] => [
    rowOf(`multisocket: ${label}`, ours.map((x) => x[key] * scale), unit, note),
    rowOf(`socket.io: ${label}`, theirs.map((x) => x[key] * scale), unit, theirNote),
  ];
  const why = (rounds: Round[]) => rounds.find((x) => x.stormWhy !== undefined)?.stormWhy;
  const n = (count: number) => count.toLocaleString('en-US');
  const heartbeat = `heartbeat every ${s.heartbeatMs / 1000} s for both`;
  return {
    name: 'scale',
    title: `One server process at scale (${n(s.idle)} idle connections, a storm of ${n(s.storm)}, a room of ${n(s.members)}; socket.io 4 side by side)${quick ? ' (quick)' : ''}`,
    rows: [
      ...both(`heap per idle connection (after GC)`, 'heapPerConn', 'KiB', 1 / 1024, heartbeat),
      ...both(`RSS per idle connection`, 'rssPerConn', 'KiB', 1 / 1024),
      ...both(`CPU to keep ${n(s.idle)} idle connections alive`, 'cpuMsPerS', 'ms/s', 1, `over ${s.cpuWindowMs / 1000} s; ${heartbeat}`),
      ...both(`connect storm of ${n(s.storm)}: until all are open`, 'stormAllOpenMs', 'ms', 1, 'until every HELLO has its WELCOME'),
      ...both(`connect storm of ${n(s.storm)}: p99 connect time`, 'stormP99Ms', 'ms', 1),
      ...both(`connect storm: connections that failed`, 'stormFailed', 'count', 1, why(ours), why(theirs)),
      ...both(`fan-out to a room of ${n(s.members)}: deliveries per second`, 'deliveriesPerS', 'deliv/s', 1, `${s.fanoutMessages} messages at once, ${s.fanoutRounds} times per round`),
      ...cap.steps.map((step) => ({
        label: `multisocket capacity: echo p99 at ${n(step.connections)} connections`,
        value: step.p99,
        unit: 'ms',
        note: `p50 ${step.p50.toFixed(2)} ms, server RSS ${step.rssMiB.toFixed(0)} MiB; default heartbeat (15 s)`,
      })),
      { label: 'multisocket capacity: connections held before the echo p99 doubles', value: cap.held, unit: 'conns', note: `stopped: ${cap.stopped}` },
    ],
    ratios,
    goals: {
      scaleHeapPerConnVsSocketIo: atMost(ratios.scaleHeapPerConnVsSocketIo, 0.5),
      scaleRssPerConnVsSocketIo: atMost(ratios.scaleRssPerConnVsSocketIo, 0.5),
      scaleIdleCpuVsSocketIo: atMost(ratios.scaleIdleCpuVsSocketIo, 0.5),
      scaleStormAllOpenVsSocketIo: atMost(ratios.scaleStormAllOpenVsSocketIo, 0.5),
      scaleStormP99VsSocketIo: atMost(ratios.scaleStormP99VsSocketIo, 0.5),
      scaleFanoutVsSocketIo: atLeast(ratios.scaleFanoutVsSocketIo, 2),
    },
    rounds: s.rounds,
  };
};
