/*
 * Suites 2, 3 and 4, end to end: the same echo workload through a raw `ws` client and server (the baseline), a
 * multisocket channel with batching off and on, socket.io with its two parsers, MQTT over WebSocket (QoS 0) and
 * Colyseus room messages; and the reliable pair, `sendReliable` against MQTT QoS 1. Each contender has its own server
 * process and its own client process on 127.0.0.1; the parent only orchestrates. Rounds interleave the contenders
 * (the starting one rotates), and every ratio is the median of per-round ratios, so a noisy neighbour moves both
 * sides of a ratio at once.
 *
 * Workload (identical for every contender): `WINDOW` echo requests of the ~100 B game state in flight; the
 * application sends in bursts of up to `BURST` per turn (setImmediate), refilling the window as echoes return, until
 * the slice's time is up, then the window drains. A second pass keeps one request in flight (ping-pong), which measures
 * the round trip instead of throughput.
 */
import { ECHO_CONTENDERS, type EchoContender, type EchoRound, type RoundResult } from './echo-kinds';
import { atLeast, median, rowOf } from './measure';
import { type ScriptMessage, type ScriptProcess, startScript } from './script-process';
import type { Suite, SuiteRow } from './types';

/** How long a server may take to say it listens, and a client to have one echo back. */
const START_TIMEOUT_MS = 15_000;

/** Echo requests in flight in the throughput pass: enough to keep both processes busy, so it measures capacity. */
const WINDOW = 256;
/** Most echo requests the application sends in one turn (a game frame's worth of messages). */
const BURST = 16;

interface Running {
  readonly contender: EchoContender;
  readonly server: ScriptProcess;
  readonly client: ScriptProcess;
}

interface Pass {
  readonly window: number;
  readonly burst: number;
  /** Turns per contender in one round, and the length of each. */
  readonly slices: number;
  readonly sliceMs: number;
  readonly warmUpMs: number;
}

async function startAll(): Promise<{ running: Running[]; stop: () => Promise<void> }> {
  const servers: ScriptProcess[] = [];
  const clients: ScriptProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  };
  // Servers first, all at once, then one client each; whatever started is stopped if anything fails.
  try {
    for (const c of ECHO_CONTENDERS) servers.push(startScript(`servers/${c.server}`, c.serverArgs));
    const ready = await Promise.all(servers.map((s) => s.next<ScriptMessage & { url: string }>('ready', START_TIMEOUT_MS)));
    ECHO_CONTENDERS.forEach((c, i) => clients.push(startScript('clients/echo-client', [c.kind, (ready[i] as { url: string }).url])));
    await Promise.all(clients.map((c) => c.next('ready', START_TIMEOUT_MS)));
  } catch (error) {
    await stop();
    throw error;
  }
  const running = ECHO_CONTENDERS.map((contender, i) => ({ contender, server: servers[i] as ScriptProcess, client: clients[i] as ScriptProcess }));
  return { running, stop };
}

/** One round of the workload in `client`'s process. */
async function runRound(client: ScriptProcess, window: number, burst: number, durationMs: number): Promise<RoundResult> {
  client.send({ type: 'round', window, burst, durationMs } satisfies EchoRound);
  const { messages, elapsedMs, cpuUs, wsMessagesSent } = await client.next<ScriptMessage & RoundResult>('result', durationMs + 20_000);
  return wsMessagesSent === undefined ? { messages, elapsedMs, cpuUs } : { messages, elapsedMs, cpuUs, wsMessagesSent };
}

function add(a: RoundResult | undefined, b: RoundResult): RoundResult {
  if (!a) return { ...b };
  const sum: RoundResult = { messages: a.messages + b.messages, elapsedMs: a.elapsedMs + b.elapsedMs, cpuUs: a.cpuUs + b.cpuUs };
  if (a.wsMessagesSent !== undefined && b.wsMessagesSent !== undefined) sum.wsMessagesSent = a.wsMessagesSent + b.wsMessagesSent;
  return sum;
}

/**
 * Runs `rounds` rounds of one pass; each round gives every contender `slices` turns of `sliceMs`, interleaved (the
 * starting contender rotates), so load from elsewhere lands on all of them alike. Returns each contender's per-round
 * totals, in ECHO_CONTENDERS order.
 */
async function runPass(running: readonly Running[], pass: Pass, rounds: number): Promise<RoundResult[][]> {
  for (const r of running) await runRound(r.client, pass.window, pass.burst, pass.warmUpMs);
  const results = running.map(() => [] as RoundResult[]);
  let turn = 0;
  for (let round = 0; round < rounds; round++) {
    const totals: (RoundResult | undefined)[] = running.map(() => undefined);
    for (let slice = 0; slice < pass.slices; slice++, turn++) {
      for (let k = 0; k < running.length; k++) {
        const i = (turn + k) % running.length;
        totals[i] = add(totals[i], await runRound((running[i] as Running).client, pass.window, pass.burst, pass.sliceMs));
      }
    }
    totals.forEach((total, i) => (results[i] as RoundResult[]).push(total as RoundResult));
  }
  return results;
}

const rate = (r: RoundResult): number => r.messages / (r.elapsedMs / 1000);
const cpuPerMessage = (r: RoundResult): number => r.cpuUs / r.messages;

/** Median over rounds of `ours[round] / theirs[round]`. */
function pairedRatio(ours: readonly number[], theirs: readonly number[]): number {
  return median(ours.map((value, round) => value / (theirs[round] as number)));
}

/** The end-to-end suite (issue suites 2, 3 and 4). */
export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 5 : 7;
  const throughput: Pass = { window: WINDOW, burst: BURST, slices: quick ? 2 : 8, sliceMs: quick ? 80 : 250, warmUpMs: quick ? 250 : 1500 };
  const latency: Pass = { window: 1, burst: 1, slices: quick ? 1 : 4, sliceMs: quick ? 60 : 200, warmUpMs: quick ? 60 : 500 };
  const { running, stop } = await startAll();
  let thr: RoundResult[][];
  let lat: RoundResult[][];
  try {
    thr = await runPass(running, throughput, rounds);
    lat = await runPass(running, latency, rounds);
  } finally {
    await stop();
  }
  const index = (kind: string): number => ECHO_CONTENDERS.findIndex((c) => c.kind === kind);
  const rates = thr.map((results) => results.map(rate));
  const raw = rates[index('raw-ws')] as number[];
  const unbatched = rates[index('multisocket')] as number[];
  const batched = rates[index('multisocket-batched')] as number[];
  // socket.io's better parser in each round: the peer at its best.
  const sioDefault = rates[index('socket.io')] as number[];
  const sioMsgpack = rates[index('socket.io-msgpack')] as number[];
  const sioBest = sioDefault.map((value, round) => Math.max(value, sioMsgpack[round] as number));

  const rows: SuiteRow[] = [];
  ECHO_CONTENDERS.forEach((contender, i) => {
    const values = rates[i] as number[];
    const cpu = median((thr[i] as RoundResult[]).map(cpuPerMessage));
    const vsRaw = i === 0 ? '' : `, ${pairedRatio(values, raw).toFixed(2)} x raw ws`;
    const sent = (thr[i] as RoundResult[]).filter((r) => r.wsMessagesSent !== undefined);
    const perMessage = sent.length === 0 ? '' : `, ${median(sent.map((r) => r.messages / (r.wsMessagesSent as number))).toFixed(1)} frames per ws message`;
    rows.push(rowOf(`${contender.label}, ${WINDOW} in flight`, values, 'msg/s', `client CPU ${cpu.toFixed(1)} us/msg${vsRaw}${perMessage}`));
  });
  ECHO_CONTENDERS.forEach((contender, i) => {
    const rtts = (lat[i] as RoundResult[]).map((r) => (r.elapsedMs * 1000) / r.messages);
    rows.push(rowOf(`${contender.label}, 1 in flight (round trip)`, rtts, 'us', undefined));
  });

  const e2eVsRawWs = pairedRatio(unbatched, raw);
  const batchedVsRawWs = pairedRatio(batched, raw);
  const vsSocketIo = pairedRatio(batched, sioBest);
  const vsSocketIoUnbatched = pairedRatio(unbatched, sioBest);
  // The other protocols (issue 17): MQTT QoS 0 and Colyseus against send, MQTT QoS 1 against sendReliable.
  const mqtt = rates[index('mqtt')] as number[];
  const colyseus = rates[index('colyseus')] as number[];
  const peers = {
    batchedVsMqtt: pairedRatio(batched, mqtt),
    unbatchedVsMqtt: pairedRatio(unbatched, mqtt),
    batchedVsColyseus: pairedRatio(batched, colyseus),
    unbatchedVsColyseus: pairedRatio(unbatched, colyseus),
    reliableVsMqttQos1: pairedRatio(rates[index('multisocket-reliable')] as number[], rates[index('mqtt-qos1')] as number[]),
  };
  const latRates = lat.map((results) => results.map(rate));
  const e2eLatencyVsRawWs = pairedRatio(latRates[index('multisocket')] as number[], latRates[index('raw-ws')] as number[]);
  return {
    name: 'echo',
    title: `End to end echo (client -> server -> client, ~100 B game state, ${WINDOW} in flight, up to ${BURST} sent per turn; separate processes on 127.0.0.1)`,
    rows,
    ratios: { e2eVsRawWs, batchedVsRawWs, vsSocketIo, vsSocketIoUnbatched, ...peers, e2eLatencyVsRawWs },
    goals: {
      e2eVsRawWs: atLeast(e2eVsRawWs, 0.8),
      batchedVsRawWs: atLeast(batchedVsRawWs, 2),
      vsSocketIo: atLeast(vsSocketIo, 1.5),
      vsSocketIoUnbatched: atLeast(vsSocketIoUnbatched, 1),
      batchedVsMqtt: atLeast(peers.batchedVsMqtt, 2),
      unbatchedVsMqtt: atLeast(peers.unbatchedVsMqtt, 1),
      batchedVsColyseus: atLeast(peers.batchedVsColyseus, 2),
      unbatchedVsColyseus: atLeast(peers.unbatchedVsColyseus, 1),
      reliableVsMqttQos1: atLeast(peers.reliableVsMqttQos1, 2),
    },
    rounds,
  };
};
