/*
 * Memory (`ratios.heapGrowthMiB`): the client's heap after 1,000,000 messages through the game and chat channels of
 * one ConnectionManager, after a full GC, minus the heap after the warm-up, in MiB. A flat line is the goal: nothing
 * a message leaves behind (subscriptions, reliable buffers, pending requests, preset bookkeeping) may accumulate.
 * The client runs in a child with --expose-gc; the server in another.
 */
import { atMost, rowOf } from './measure';
import { startScript, type ScriptMessage, type ScriptProcess } from './script-process';
import type { HeapCheckpoint } from './clients/memory-client';
import type { Suite } from './types';

const MiB = 1024 * 1024;

export const suite: Suite = async ({ quick }) => {
  const messages = quick ? 100_000 : 1_000_000;
  const segments = 5;
  const warmup = quick ? 20_000 : 50_000;
  const children: ScriptProcess[] = [];
  try {
    const server = startScript('servers/memory-server');
    children.push(server);
    const { url } = await server.next<ScriptMessage & { url: string }>('ready', 10_000);
    const client = startScript('clients/memory-client', [url], ['--expose-gc']);
    children.push(client);
    await client.next('ready', 15_000);
    client.send({ type: 'run', messages, segments, warmup });
    const result = await client.next<ScriptMessage & { baseline: HeapCheckpoint; checkpoints: HeapCheckpoint[] }>('result', quick ? 120_000 : 900_000);
    const { baseline, checkpoints } = result;
    const last = checkpoints[checkpoints.length - 1] as HeapCheckpoint;
    const growth = (last.heapUsed - baseline.heapUsed) / MiB;
    const perSegment = checkpoints.map((c, i) => (c.heapUsed - (i === 0 ? baseline : (checkpoints[i - 1] as HeapCheckpoint)).heapUsed) / MiB);
    const rate = checkpoints.map((c) => (messages / segments / c.ms) * 1000);
    const label = quick ? `${messages.toLocaleString('en-US')} messages (quick; the full run passes 1,000,000)` : `${messages.toLocaleString('en-US')} messages`;
    return {
      name: 'memory',
      title: `Memory (client heap after ${label} through game and chat, after GC)`,
      rows: [
        { label: 'heap used after the warm-up (baseline)', value: baseline.heapUsed / MiB, unit: 'MiB', note: `warm-up: ${warmup.toLocaleString('en-US')} messages` },
        { label: `heap growth after ${label}`, value: growth, unit: 'MiB', note: 'half game states, half chat messages (each also a say and its answer)' },
        rowOf(`heap growth per segment of ${(messages / segments).toLocaleString('en-US')} messages`, perSegment, 'MiB', `${segments} segments`),
        {
          label: 'external + ArrayBuffer memory growth',
          value: (last.external + last.arrayBuffers - baseline.external - baseline.arrayBuffers) / MiB,
          unit: 'MiB',
        },
        rowOf('messages per second through the client', rate, 'msg/s', 'per segment'),
      ],
      ratios: { heapGrowthMiB: growth },
      goals: { heapGrowthMiB: atMost(growth, 5) },
      rounds: segments,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
};
