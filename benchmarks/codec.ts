/*
 * Suite 1, codec: frames encoded and decoded per second by the runtime's FrameCodec (a PUSH frame, limits scanned and
 * the frame validated on decode) against the floor: one reused @msgpack/msgpack Encoder and Decoder doing the same
 * round trip on the bare payload; and against msgpackr doing the frame's round trip the same way as ours (codec-ops.ts).
 * JSON (with UTF-8 conversion, as a wire would need) is a reference row. Every contender runs in this process,
 * interleaved round by round, so the ratio holds on a noisy machine; then FrameCodec and msgpackr run again in child
 * processes (codec-engine.ts): without a JIT, and without TextEncoder/TextDecoder/Buffer as on a device.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { EngineRates } from './codec-engine';
import { frameCodecOp, msgpackrOp, sink, WORKLOADS, type Workload } from './codec-ops';
import { atLeast, interleavedRound, median, opsPerSecond, rowOf } from './measure';
import type { Suite, SuiteRow } from './types';

interface Contender {
  readonly label: string;
  readonly note?: string;
  readonly op: () => void;
}

/** The child runs: flags for node, flags for codec-engine.js, and the label and ratio key of their rows. */
const ENGINES = [
  { node: ['--jitless'], args: [], label: 'node --jitless', key: 'Jitless' },
  { node: ['--jitless'], args: ['--device'], label: 'node --jitless, no TextEncoder/TextDecoder/Buffer', key: 'Device' },
  { node: [], args: ['--device'], label: 'node (JIT), no TextEncoder/TextDecoder/Buffer', key: 'DeviceJit' },
] as const;

function contenders(workload: Workload): Contender[] {
  const { payload } = workload;
  const encoder = new Encoder();
  const decoder = new Decoder();
  const textEncoder = new TextEncoder();
  const textDecoder = new TextDecoder();
  return [
    { label: 'multisocket FrameCodec: encode + decode a PUSH frame', op: frameCodecOp(workload) },
    {
      label: '@msgpack/msgpack Encoder + Decoder, bare payload (floor)',
      op: () => {
        const bytes = encoder.encode(payload);
        sink.value += bytes.byteLength + (decoder.decode(bytes) === undefined ? 1 : 0);
      },
    },
    { label: 'msgpackr (no-eval build, records off): the same PUSH frame, to an exact ArrayBuffer and back', op: msgpackrOp(workload) },
    {
      label: 'JSON stringify + UTF-8 + parse, bare payload',
      note: 'reference row',
      op: () => {
        const bytes = textEncoder.encode(JSON.stringify(payload));
        sink.value += bytes.byteLength + (JSON.parse(textDecoder.decode(bytes)) === undefined ? 1 : 0);
      },
    },
  ];
}

/** FrameCodec against msgpackr in a child process per engine: rows and `codecVsMsgpackr<Engine><Payload>` ratios. */
async function engineRuns(quick: boolean, rows: SuiteRow[], ratios: Record<string, number>): Promise<void> {
  const script = join(__dirname, 'codec-engine.js');
  const counts = quick ? ['--rounds=5', '--slices=2', '--slice-ms=20'] : ['--rounds=5', '--slices=8', '--slice-ms=25'];
  for (const engine of ENGINES) {
    const { stdout } = await promisify(execFile)(process.execPath, [...engine.node, script, ...engine.args, ...counts]);
    const rates = JSON.parse(stdout) as EngineRates;
    for (const workload of WORKLOADS) {
      const { ours, msgpackr } = rates[workload.key] as EngineRates[string];
      const ratio = median(ours.map((value, r) => value / (msgpackr[r] as number)));
      ratios[`codecVsMsgpackr${engine.key}${workload.key}`] = ratio;
      rows.push(rowOf(`${workload.name}, ${engine.label}: FrameCodec`, ours, 'frames/s', `${ratio.toFixed(2)} x msgpackr`));
      rows.push(rowOf(`${workload.name}, ${engine.label}: msgpackr`, msgpackr, 'frames/s'));
    }
  }
}

/** The codec suite; `ratios.codecVsFloor` and `ratios.codecVsMsgpackr` are the smaller of the two payloads' ratios. */
export const suite: Suite = async ({ quick }) => {
  const rounds = 5;
  // Each round: `slices` turns of `sliceMs` per contender, interleaved, so ours and the floor share the machine's noise.
  const slices = quick ? 4 : 16;
  const sliceMs = quick ? 20 : 25;
  const sets = WORKLOADS.map((workload) => ({ workload, contenders: contenders(workload) }));
  const results = sets.map((set) => set.contenders.map(() => [] as number[]));
  // Warm-up: let every contender reach its optimized code before anything is recorded.
  for (const set of sets) for (const c of set.contenders) opsPerSecond(c.op, quick ? 60 : 300);
  for (let round = 0; round < rounds; round++) {
    sets.forEach((set, s) => {
      const rates = interleavedRound(set.contenders.map((c) => c.op), slices, sliceMs);
      rates.forEach((rate, i) => (results[s] as number[][])[i]?.push(rate));
    });
    // Let timers and I/O of the process run between rounds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rows: SuiteRow[] = [];
  const ratios: Record<string, number> = {};
  sets.forEach((set, s) => {
    const perContender = results[s] as number[][];
    const ours = perContender[0] as number[];
    // The ratio of each round (ours and the other measured back to back), then the median of those ratios.
    const against = (i: number): number => median(ours.map((value, r) => value / ((perContender[i] as number[])[r] as number)));
    const ratio = against(1);
    ratios[`codecVsFloor${set.workload.key}`] = ratio;
    ratios[`codecVsMsgpackr${set.workload.key}`] = against(2);
    set.contenders.forEach((c, i) => {
      const note = i === 0 ? `${ratio.toFixed(2)} x floor, ${against(2).toFixed(2)} x msgpackr` : c.note;
      rows.push(rowOf(`${set.workload.name}: ${c.label}`, perContender[i] as number[], 'frames/s', note));
    });
  });
  if (sink.value === 0) throw new Error('codec benchmark: nothing was encoded');
  await engineRuns(quick, rows, ratios);
  const codecVsFloor = Math.min(ratios.codecVsFloorGame as number, ratios.codecVsFloorChat as number);
  const codecVsMsgpackr = Math.min(ratios.codecVsMsgpackrGame as number, ratios.codecVsMsgpackrChat as number);
  return {
    name: 'codec',
    title: 'Codec: PUSH frame encode + decode vs @msgpack/msgpack on the bare payload, and vs msgpackr on the frame',
    rows,
    ratios: { codecVsFloor, codecVsMsgpackr, ...ratios },
    goals: { codecVsFloor: atLeast(codecVsFloor, 0.9), codecVsMsgpackr: atLeast(codecVsMsgpackr, 0.9) },
    rounds,
  };
};
