import { Decoder, Encoder, ExtData } from '@msgpack/msgpack';
import { ProtocolError } from '../../../src/errors';
import { resolveLimits } from '../../../src/wire/limits';
import { MsgpackDecoder } from '../../../src/wire/msgpack/decoder';
import { MsgpackEncoder } from '../../../src/wire/msgpack/encoder';
import { MsgpackExt } from '../../../src/wire/msgpack/ext';
import { seededRandom } from '../../support/random';

// The in-house codec against @msgpack/msgpack (what the runtime used until now), on thousands of seeded random values
// and byte strings. Known, deliberate differences are normalised on the reference's side, each one named here:
// - a lone surrogate: we write U+FFFD, msgpack writes invalid UTF-8 in strings under 51 units (so it gets well-formed
//   input);
// - MsgpackExt is our ExtData (so it gets ExtData);
// - a Map is a map of its entries and a Set an array of its values, where msgpack writes both as an empty map and
//   loses them (so it gets the object and the array they mean);
// - strings are decoded WHATWG-exactly: values are compared only where our output holds no U+FFFD (ill-formed input
//   decodes differently in msgpack's own UTF-8 decoder).

const limits = resolveLimits();
/** Our codec as on Node (long strings through the host's TextEncoder and TextDecoder) and as on a device (none). */
const OURS = [
  { host: "with the host's TextEncoder/TextDecoder", encoder: new MsgpackEncoder({ maxDepth: limits.maxDepth }), decoder: new MsgpackDecoder(limits) },
  {
    host: 'without a host text codec, as on a device',
    encoder: new MsgpackEncoder({ maxDepth: limits.maxDepth, textEncoder: null }),
    decoder: new MsgpackDecoder(limits, null),
  },
];
const theirEncoder = new Encoder({ ignoreUndefined: true });
const theirDecoder = new Decoder();

const BOUNDARIES = [0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function randomInt(rand: () => number): number {
  const r = rand();
  if (r < 0.4) {
    const b = pick(rand, BOUNDARIES) + pick(rand, [-1, 0, 0, 1]);
    const n = Math.min(b, 2 ** 53 - 1);
    return rand() < 0.5 ? n : -n;
  }
  const magnitude = Math.floor(rand() ** 3 * 2 ** Math.floor(rand() * 54));
  return rand() < 0.5 ? magnitude : -magnitude;
}

function randomFloat(rand: () => number): number {
  const r = rand();
  if (r < 0.1) return pick(rand, [Number.NaN, Infinity, -Infinity, -0, 2 ** 53, -(2 ** 60), Number.MIN_VALUE, Number.MAX_VALUE]);
  return (rand() - 0.5) * 10 ** Math.floor(rand() * 30 - 10);
}

/** Code units of every UTF-8 width, pairs, lone surrogates of both halves; never U+FEFF (msgpack strips a leading one). */
function randomString(rand: () => number): string {
  const length = pick(rand, [0, 1, 3, 10, 11, 31, 32, 33, 60, 90, 256, 300]) + Math.floor(rand() * 3);
  const units: number[] = [];
  const mode = rand();
  for (let i = 0; i < length; i++) {
    const r = mode < 0.4 ? 0 : rand();
    if (r < 0.5) units.push(0x20 + Math.floor(rand() * 0x5f));
    else if (r < 0.65) units.push(0x80 + Math.floor(rand() * 0x780));
    else if (r < 0.85) units.push(0x4e00 + Math.floor(rand() * 0x5000));
    else if (r < 0.95) units.push(0xd800 + Math.floor(rand() * 0x400), 0xdc00 + Math.floor(rand() * 0x400));
    else units.push(0xd800 + Math.floor(rand() * 0x800));
  }
  return String.fromCharCode(...units);
}

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  const wide = depth < 3;
  if (depth < 6 && r < 0.14) {
    const length = wide ? pick(rand, [0, 1, 2, 5, 15, 16, 17]) : pick(rand, [0, 1, 2, 3]);
    return Array.from({ length }, () => (rand() < 0.05 ? undefined : randomValue(rand, depth + 1)));
  }
  if (depth < 6 && r < 0.3) {
    const map: Record<string, unknown> = {};
    const size = wide ? pick(rand, [0, 1, 3, 8, 15, 16, 17]) : pick(rand, [0, 1, 2, 3]);
    for (let i = 0; i < size; i++) {
      // Keys stay well-formed here: two keys differing only in a lone surrogate would be one key once normalised.
      const key = rand() < 0.3 ? pick(rand, ['x', 'y', 'id', 'name', '0', '12', 'constructor', 'toString']) : wellFormed(randomString(rand));
      map[key === '__proto__' ? 'proto' : key] = rand() < 0.05 ? undefined : randomValue(rand, depth + 1);
    }
    if (rand() < 0.15) return new Map(Object.entries(map));
    return map;
  }
  if (depth < 6 && r < 0.32) return new Set(Array.from({ length: pick(rand, [0, 1, 3, 16]) }, () => randomInt(rand)));
  if (r < 0.45) return randomInt(rand);
  if (r < 0.55) return randomFloat(rand);
  if (r < 0.75) return randomString(rand);
  if (r < 0.8) return pick(rand, [true, false, null, undefined]);
  if (r < 0.87) {
    const data = new Uint8Array(pick(rand, [0, 1, 5, 255, 256, 1000])).map(() => Math.floor(rand() * 256));
    return rand() < 0.8 ? data : data.subarray(Math.min(1, data.length));
  }
  if (r < 0.95) {
    const ms = Math.floor((rand() - 0.3) * pick(rand, [1e3, 1e12, 2e13, 8e15]));
    return new Date(rand() < 0.3 ? ms - (ms % 1000) : ms);
  }
  let type = Math.floor(rand() * 256) - 128;
  if (type === -1) type = 1;
  return new MsgpackExt(type, new Uint8Array(pick(rand, [0, 1, 2, 3, 4, 8, 16, 20, 300])).map(() => Math.floor(rand() * 256)));
}

/** `value` as @msgpack/msgpack must be given it to mean the same (see the file's comment). */
function forReference(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) return value.map(forReference);
  if (value instanceof MsgpackExt) return new ExtData(value.type, value.data);
  if (value instanceof Set) return [...value].map(forReference);
  if (value instanceof Map) return forReference(Object.fromEntries(value));
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = forReference(v);
  return out;
}

function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** A form both decoders' output can be compared in: classes, invalid Dates and bin views made plain. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.getTime() };
  if (value instanceof Uint8Array) return { bin: Buffer.from(value).toString('hex') };
  if (value instanceof MsgpackExt || value instanceof ExtData) return { ext: value.type, data: Buffer.from(value.data as Uint8Array).toString('hex') };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = canonical(v);
    return out;
  }
  return value;
}

function hasReplacement(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\ufffd');
  if (Array.isArray(value)) return value.some(hasReplacement);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !ArrayBuffer.isView(value) && !(value instanceof MsgpackExt)) {
    return Object.entries(value).some(([k, v]) => k.includes('\ufffd') || hasReplacement(v));
  }
  return false;
}

describe.each(OURS)('5,000 random values: our bytes equal @msgpack/msgpack\'s, and both decoders read them alike ($host)', ({ encoder: ourEncoder, decoder: ourDecoder }) => {
  it('encodes and decodes', () => {
    const rand = seededRandom(20240611);
    let frames = 0;
    let bytesTotal = 0;
    for (let i = 0; i < 5000; i++) {
      const frame = [4, 'game/state', randomValue(rand, 1)];
      const ours = ourEncoder.encodeSharedRef(frame).slice();
      const theirs = theirEncoder.encode(forReference(frame));
      if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) !== 0) {
        let at = 0;
        while (ours[at] === theirs[at]) at++;
        const around = (b: Uint8Array): string => Buffer.from(b.subarray(Math.max(0, at - 16), at + 16)).toString('hex');
        throw new Error(`value ${i} encodes differently from byte ${at}:\nours   …${around(ours)}\ntheirs …${around(theirs)}`);
      }
      const decoded = ourDecoder.decodeAll(ours);
      expect(canonical(decoded)).toEqual(canonical([theirDecoder.decode(ours)]));
      frames++;
      bytesTotal += ours.byteLength;
    }
    expect(frames).toBe(5000);
    expect(bytesTotal).toBeGreaterThan(500_000);
  });
});

/** A byte string near valid msgpack: a valid message cut, with bytes flipped, inserted, removed, or spliced, or noise. */
function mutated(rand: () => number, valid: Uint8Array[]): Uint8Array {
  const base = Array.from(pick(rand, valid));
  const r = rand();
  if (r < 0.05) return new Uint8Array(Array.from({ length: Math.floor(rand() * 20) + 1 }, () => Math.floor(rand() * 256)));
  if (r < 0.15) return new Uint8Array(base.slice(0, Math.floor(rand() * base.length) + 1));
  if (r < 0.25) return new Uint8Array([...base, ...pick(rand, valid)]);
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits && base.length > 0; e++) {
    const at = Math.floor(rand() * base.length);
    const kind = rand();
    const byte = rand() < 0.5 ? Math.floor(rand() * 256) : pick(rand, [0x91, 0x9f, 0xdc, 0xdd, 0xde, 0xdf, 0xc1, 0xd9, 0xda, 0xc4, 0xc7, 0xd4, 0xd6, 0xff, 0x00, 0xa9]);
    if (kind < 0.6) base[at] = byte;
    else if (kind < 0.8) base.splice(at, 0, byte);
    else base.splice(at, 1);
  }
  return new Uint8Array(base);
}

type Outcome = { ok: true; values: unknown[] } | { ok: false; error: unknown };

function run(fn: () => unknown[]): Outcome {
  try {
    return { ok: true, values: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** @msgpack/msgpack with the one rule it lacks: every top-level value is an array (a frame). */
function reference(bytes: Uint8Array): unknown[] {
  const values = [...theirDecoder.decodeMulti(bytes)];
  if (bytes.length === 0 || !values.every(Array.isArray)) throw new Error('not a frame');
  return values;
}

describe.each(OURS)('5,000 random and mutated byte strings: both decoders agree on accept or refuse ($host)', ({ encoder: ourEncoder, decoder: ourDecoder }) => {
  it('agrees, and refuses alone only over a limit', () => {
    const rand = seededRandom(7_654_321);
    const valid: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const frame = [pick(rand, [4, 6, 8]), 'room/1', randomValue(rand, 1)];
      valid.push(ourEncoder.encodeSharedRef(frame).slice());
    }
    // Deep ones, near the depth limit either side.
    for (const levels of [30, 31, 32, 33]) valid.push(new Uint8Array([...new Array<number>(levels).fill(0x91), 0x01]));

    const tally = { bothAccept: 0, bothRefuse: 0, oursOverLimit: 0, valuesCompared: 0 };
    for (let i = 0; i < 5000; i++) {
      const input = mutated(rand, valid);
      const ours = run(() => ourDecoder.decodeAll(input));
      const theirs = run(() => reference(input));
      if (!ours.ok) {
        expect(ours.error).toBeInstanceOf(ProtocolError);
        expect(['malformed', 'limit_exceeded', 'unknown_op']).toContain((ours.error as ProtocolError).code);
      }
      if (ours.ok && theirs.ok) {
        tally.bothAccept++;
        if (!hasReplacement(ours.values)) {
          expect(canonical(ours.values)).toEqual(canonical(theirs.values));
          tally.valuesCompared++;
        }
      } else if (!ours.ok && !theirs.ok) {
        tally.bothRefuse++;
      } else if (!ours.ok) {
        // msgpack has no limits here, so only a limit may make us refuse alone.
        expect({ input: Buffer.from(input).toString('hex'), code: (ours.error as ProtocolError).code }).toEqual({
          input: Buffer.from(input).toString('hex'),
          code: 'limit_exceeded',
        });
        tally.oursOverLimit++;
      } else if (!theirs.ok) {
        throw new Error(`we accept what @msgpack/msgpack refuses (${String(theirs.error)}): ${Buffer.from(input).toString('hex')}`);
      }
    }
    // Every kind of outcome occurred often enough for the agreement to mean something.
    expect(tally.bothAccept).toBeGreaterThan(1000);
    expect(tally.valuesCompared).toBeGreaterThan(400);
    expect(tally.bothRefuse).toBeGreaterThan(2000);
    expect(tally.oursOverLimit).toBeGreaterThan(0);
  });
});
