/*
 * Suite decode-cost: what a hostile message costs the decoder per KiB, next to an honest message of the same size.
 * Hostile: every overcommitting shape of scripts/fuzz-overcommit.ts (nested array16/array32/map16/map32 headers, bin
 * and ext headers, mixed) and the nested array32 bomb of issue 15 (headers of 99,999 elements, then filler), each
 * through the public FrameCodec.decode until it is refused. Honest: a PUSH frame of game states of that size.
 * `ratios.hostileDecodeVsHonest` is the worst shape's time per message over the honest one's, and
 * `ratios.hostileDecodeMemoryVsHonest` the same for the heap one decode grows by before anything is collected.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OVERCOMMIT_SHAPES, overcommit } from '../scripts/fuzz-overcommit';
import { FrameCodec } from '../src/wire/codec';
import { Op } from '../src/wire/protocol';
import { atMost, interleavedRound, median, opsPerSecond, rowOf } from './measure';
import { GAME_STATE } from './payloads';
import type { Suite, SuiteRow } from './types';

const KiB = 1024;

/** Keeps results alive so the optimizer cannot drop the work. */
let sink = 0;

/** A full collection, without running the process under --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** An honest PUSH of game states, as close to `size` bytes as whole states allow. */
function honestMessage(codec: FrameCodec, size: number): Uint8Array {
  // What one more game state adds, measured; the PUSH's own bytes (op, topic, the array's header: under 32) stay inside.
  const frame = (count: number) => codec.encode([Op.Push, 'game/state', Array.from({ length: count }, () => GAME_STATE)]);
  const each = frame(2).byteLength - frame(1).byteLength;
  const count = Math.max(1, Math.floor((size - 32) / each));
  return new Uint8Array(frame(count));
}

/** The bomb as issue 15 measured it: 31 array32 headers of 99,999 elements under a PUSH, then nils. */
function issueBomb(size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(0xc0);
  bytes.set([0x93, 0x04, 0xa1, 0x74]);
  for (let i = 0; i < 31; i++) bytes.set([0xdd, 0x00, 0x01, 0x86, 0x9f], 4 + 5 * i);
  return bytes;
}

function decodeOrRefuse(codec: FrameCodec, bytes: Uint8Array): void {
  try {
    sink += codec.decode(bytes).length;
  } catch {
    sink += 1;
  }
}

export const suite: Suite = async ({ quick }) => {
  const rounds = 5;
  const slices = quick ? 3 : 8;
  const sliceMs = quick ? 15 : 25;
  const gc = collector();
  const codec = new FrameCodec();
  const rows: SuiteRow[] = [];
  const ratios: Record<string, number> = {};
  const sizes = quick ? [100 * KiB] : [100 * KiB, codec.limits.maxFrameBytes];
  let worstTime = 0;
  let worstMemory = 0;
  for (const size of sizes) {
    const honest = honestMessage(codec, size);
    const n = honest.byteLength;
    const hostile: [string, Uint8Array][] = [
      ...OVERCOMMIT_SHAPES.map((shape): [string, Uint8Array] => [`overcommitting ${shape}`, overcommit(shape, n, codec.limits).bytes]),
      ['nested array32 of 99,999 each, then filler (issue 15)', issueBomb(n)],
    ];
    const messages: [string, Uint8Array][] = [['honest PUSH of game states', honest], ...hostile];
    const ops = messages.map(([, bytes]) => () => decodeOrRefuse(codec, bytes));
    for (const op of ops) opsPerSecond(op, quick ? 20 : 100, 1);
    const rates = messages.map(() => [] as number[]);
    const heap = messages.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      interleavedRound(ops, slices, sliceMs).forEach((rate, i) => rates[i]?.push(rate));
      ops.forEach((op, i) => {
        gc();
        const before = process.memoryUsage().heapUsed;
        op();
        heap[i]?.push(Math.max(0, process.memoryUsage().heapUsed - before));
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const kib = n / KiB;
    const usPerKiB = rates.map((r) => r.map((rate) => 1e6 / rate / kib));
    const heapPerKiB = heap.map((h) => h.map((bytes) => bytes / n));
    const honestUs = median(usPerKiB[0] as number[]);
    const honestHeap = median(heapPerKiB[0] as number[]);
    messages.forEach(([label], i) => {
      const us = median(usPerKiB[i] as number[]);
      const mem = median(heapPerKiB[i] as number[]);
      if (i > 0) {
        worstTime = Math.max(worstTime, us / honestUs);
        worstMemory = Math.max(worstMemory, mem / honestHeap);
      }
      const note = `heap ${mem.toFixed(2)} B/B` + (i === 0 ? '' : `; ${(us / honestUs).toFixed(3)} x honest time, ${(mem / honestHeap).toFixed(3)} x honest heap`);
      rows.push(rowOf(`${Math.round(kib)} KiB, ${label}`, usPerKiB[i] as number[], 'us/KiB', note));
    });
  }
  if (sink === 0) throw new Error('decode-cost benchmark: nothing was decoded');
  ratios.hostileDecodeVsHonest = worstTime;
  ratios.hostileDecodeMemoryVsHonest = worstMemory;
  return {
    name: 'decode-cost',
    title: 'Decode cost per KiB: the worst hostile message (refused) vs an honest one of the same size, through FrameCodec.decode',
    rows,
    ratios,
    goals: { hostileDecodeVsHonest: atMost(worstTime, 2), hostileDecodeMemoryVsHonest: atMost(worstMemory, 2) },
    rounds,
  };
};
