/*
 * Suite 1, codec: frames encoded and decoded per second by the runtime's FrameCodec (a PUSH frame, limits scanned and
 * the frame validated on decode) against the floor: one reused @msgpack/msgpack Encoder and Decoder doing the same
 * round trip on the bare payload. msgpackr and JSON (with UTF-8 conversion, as a wire would need) are reference rows.
 * Every contender runs in this process, interleaved round by round, so the ratio holds on a noisy machine.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr } from 'msgpackr';
import { FrameCodec } from '../src/wire/codec';
import { Op } from '../src/wire/protocol';
import { atLeast, interleavedRound, median, opsPerSecond, rowOf } from './measure';
import { CHAT_TEXT, GAME_STATE, utf8Length } from './payloads';
import type { Suite, SuiteRow } from './types';

interface Contender {
  readonly label: string;
  readonly note?: string;
  readonly op: () => void;
}

interface Workload {
  readonly key: 'Game' | 'Chat';
  readonly name: string;
  readonly topic: string;
  readonly payload: unknown;
}

const WORKLOADS: readonly Workload[] = [
  { key: 'Game', name: 'game state (PUSH, ~100 B object)', topic: 'game/state', payload: GAME_STATE },
  { key: 'Chat', name: `chat text (PUSH, ${utf8Length(CHAT_TEXT)} B of Chinese)`, topic: 'room/42/message', payload: CHAT_TEXT },
];

/** Keeps results alive so the optimizer cannot drop the work. */
let sink = 0;

function contenders(workload: Workload): Contender[] {
  const { topic, payload } = workload;
  const codec = new FrameCodec();
  const encoder = new Encoder();
  const decoder = new Decoder();
  const packr = new Packr({ useRecords: false });
  const textEncoder = new TextEncoder();
  const textDecoder = new TextDecoder();
  return [
    {
      label: 'multisocket FrameCodec: encode + decode a PUSH frame',
      op: () => {
        const frames = codec.decode(codec.encode([Op.Push, topic, payload]));
        sink += frames.length;
      },
    },
    {
      label: '@msgpack/msgpack Encoder + Decoder, bare payload (floor)',
      op: () => {
        const bytes = encoder.encode(payload);
        sink += bytes.byteLength + (decoder.decode(bytes) === undefined ? 1 : 0);
      },
    },
    {
      label: 'msgpackr pack + unpack, bare payload',
      note: 'reference row',
      op: () => {
        const bytes = packr.pack(payload);
        sink += bytes.byteLength + (packr.unpack(bytes) === undefined ? 1 : 0);
      },
    },
    {
      label: 'JSON stringify + UTF-8 + parse, bare payload',
      note: 'reference row',
      op: () => {
        const bytes = textEncoder.encode(JSON.stringify(payload));
        sink += bytes.byteLength + (JSON.parse(textDecoder.decode(bytes)) === undefined ? 1 : 0);
      },
    },
  ];
}

/** The codec suite; `ratios.codecVsFloor` is the smaller of the two payloads' ratios. */
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
    const floor = perContender[1] as number[];
    // The ratio of each round (ours and floor measured back to back), then the median of those ratios.
    const ratio = median(ours.map((value, r) => value / (floor[r] as number)));
    ratios[`codecVsFloor${set.workload.key}`] = ratio;
    set.contenders.forEach((c, i) => {
      const note = i === 0 ? `${ratio.toFixed(2)} x floor` : c.note;
      rows.push(rowOf(`${set.workload.name}: ${c.label}`, perContender[i] as number[], 'frames/s', note));
    });
  });
  if (sink === 0) throw new Error('codec benchmark: nothing was encoded');
  const codecVsFloor = Math.min(ratios.codecVsFloorGame as number, ratios.codecVsFloorChat as number);
  const all = { codecVsFloor, ...ratios };
  return {
    name: 'codec',
    title: 'Codec: PUSH frame encode + decode vs @msgpack/msgpack on the bare payload',
    rows,
    ratios: all,
    goals: { codecVsFloor: atLeast(codecVsFloor, 0.9) },
    rounds,
  };
};
