/*
 * Scale-out fan-out (`ratios.fanoutRedisVsMemory`): one chat room of 8 members, two of them saying messages with many
 * in flight. Case A: one server process, the chat in its memory. Case B: two server processes on one Redis
 * (createRedisChatStore), the members split across them, the two senders on different processes. Both on this one
 * machine, so B is not a scaling figure: the ratio B/A of messages per second and the Redis cost per message are what
 * it tells, and the latency a message adds by crossing processes (say at member 0 -> delivery at member 1, one
 * message at a time). A and B alternate in every round, the order swapped each round. The suite starts its own
 * redis-server (no persistence) and fails with a clear message when there is none.
 */
import { Redis } from 'ioredis';
import { median, quantile, rowOf } from './measure';
import { type RedisServer, startRedisServer } from '../test/support/redis-server';
import { startScript, type ScriptMessage, type ScriptProcess } from './script-process';
import type { Suite, SuiteRow } from './types';

const MEMBERS = 8;
const WINDOW = 16;

interface Throughput extends ScriptMessage {
  readonly ms: number;
  readonly deliveries: number;
}

/** Redis's own CPU time so far, s (user + system, from INFO cpu). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Calls and µs per call of the append script (EVALSHA) since the last CONFIG RESETSTAT, from INFO commandstats. */
async function scriptStats(redis: Redis): Promise<{ calls: number; usecPerCall: number }> {
  const info = await redis.info('commandstats');
  const line = /^cmdstat_evalsha:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/m.exec(info);
  return { calls: Number(line?.[1] ?? 0), usecPerCall: Number(line?.[2] ?? NaN) };
}

export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 3 : 7;
  const messages = quick ? 600 : 4000;
  const latencyCount = quick ? 60 : 300;
  const children: ScriptProcess[] = [];
  let redisProcess: RedisServer | undefined;
  let redis: Redis | undefined;
  try {
    redisProcess = await startRedisServer({ durable: false });
    redis = new Redis(redisProcess.url, { maxRetriesPerRequest: 1 });
    const start = (args: string[]) => {
      const child = startScript('servers/fanout-server', args);
      children.push(child);
      return child.next<ScriptMessage & { url: string }>('ready', 15_000);
    };
    const [a, b1, b2] = await Promise.all([start([]), start([redisProcess.url]), start([redisProcess.url])]);
    const client = startScript('clients/fanout-client');
    children.push(client);
    await client.next('started', 15_000);
    client.send({ type: 'setup', cases: { A: [a.url], B: [b1.url, b2.url] }, members: MEMBERS });
    await client.next('ready', 30_000);

    const throughput = async (name: string, count: number) => {
      client.send({ type: 'throughput', case: name, messages: count, window: WINDOW });
      return client.next<Throughput>('throughput', 90_000);
    };
    const latency = async (name: string, count: number) => {
      client.send({ type: 'latency', case: name, count });
      return (await client.next<ScriptMessage & { latencies: number[] }>('latency', 60_000)).latencies;
    };
    // Warm-up: both paths compiled and every connection busy once.
    for (const name of ['A', 'B']) {
      await throughput(name, Math.min(messages, 500));
      await latency(name, 20);
    }

    await redis.config('RESETSTAT');
    const rate: Record<string, number[]> = { A: [], B: [] };
    const lat: Record<string, number[]> = { A: [], B: [] };
    const latP50: Record<string, number[]> = { A: [], B: [] };
    const latP99: Record<string, number[]> = { A: [], B: [] };
    const redisCpuPerMessage: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
        const cpu0 = name === 'B' ? await redisCpu(redis) : 0;
        const result = await throughput(name, messages);
        if (name === 'B') redisCpuPerMessage.push(((await redisCpu(redis)) - cpu0) / messages * 1e6);
        if (result.deliveries !== messages * MEMBERS) throw new Error(`fanout ${name}: ${result.deliveries} deliveries, expected ${messages * MEMBERS}`);
        rate[name]?.push(messages / (result.ms / 1000));
        const latencies = await latency(name, latencyCount);
        lat[name]?.push(...latencies);
        latP50[name]?.push(quantile(latencies, 0.5));
        latP99[name]?.push(quantile(latencies, 0.99));
      }
    }
    const script = await scriptStats(redis);

    const A = rate.A as number[];
    const B = rate.B as number[];
    const perRound = B.map((b, i) => b / (A[i] as number));
    const ratio = median(perRound);
    const costUs = B.map((b, i) => (1 / b - 1 / (A[i] as number)) * 1e6);
    const all = (name: string, p: number) => quantile(lat[name] as number[], p);
    const latencyRow = (label: string, name: string, p: number, note: string): SuiteRow => {
      const perRoundQ = (p === 0.5 ? latP50 : latP99)[name] as number[];
      return { label, value: all(name, p), unit: 'ms', min: Math.min(...perRoundQ), max: Math.max(...perRoundQ), note };
    };
    const samples = `${(lat.A as number[]).length} messages; min-max: per round`;
    return {
      name: 'fanout',
      title: `Scale-out fan-out (one room, ${MEMBERS} members, 2 senders with ${WINDOW} says in flight each; A: 1 process in memory, B: 2 processes on one Redis, same machine)${quick ? ' (quick)' : ''}`,
      rows: [
        rowOf('A: 1 process, in memory: messages said per second', A, 'msg/s', `${messages} messages per round, ${MEMBERS} deliveries each`),
        rowOf('B: 2 processes on Redis: messages said per second', B, 'msg/s', 'members 4 + 4, one sender on each process'),
        rowOf('A: deliveries per second (message x member)', A.map((x) => x * MEMBERS), 'deliv/s'),
        rowOf('B: deliveries per second (message x member)', B.map((x) => x * MEMBERS), 'deliv/s'),
        rowOf('B/A messages per second', perRound, 'x', 'per round; same machine: not a scaling figure'),
        rowOf('wall time B adds per message (1/B - 1/A)', costUs, 'us/msg', 'per round'),
        { label: 'Redis: append script run time per message (EVALSHA usec_per_call)', value: script.usecPerCall, unit: 'us/msg', note: `${script.calls} calls, INFO commandstats` },
        rowOf('Redis: CPU per message (user + sys, during B)', redisCpuPerMessage, 'us/msg', 'script, PUBLISH to 2 subscribers, network; INFO cpu'),
        latencyRow('A: latency p50, say -> delivery at another member (same process)', 'A', 0.5, samples),
        latencyRow('A: latency p99 (same process)', 'A', 0.99, samples),
        latencyRow('B: latency p50, say -> delivery at a member on the other process', 'B', 0.5, samples),
        latencyRow('B: latency p99 (across processes)', 'B', 0.99, samples),
        { label: 'latency added by crossing processes on Redis, p50', value: all('B', 0.5) - all('A', 0.5), unit: 'ms', note: 'B p50 - A p50' },
        { label: 'latency added by crossing processes on Redis, p99', value: all('B', 0.99) - all('A', 0.99), unit: 'ms', note: 'B p99 - A p99' },
      ],
      ratios: { fanoutRedisVsMemory: ratio },
      goals: {},
      rounds,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    redis?.disconnect();
    await redisProcess?.close();
  }
};
