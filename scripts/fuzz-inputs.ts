/*
 * The fuzzer's inputs: hostile WebSocket messages of every kind the internet sends, generated from a fixed seed and a
 * small corpus of valid frames (test/fuzz-corpus). Input `i` depends only on the seed and `i`, so a run can be
 * repeated, sharded or shortened without changing what any input is. Shared by test/tools/fuzz.test.ts (`--quick` size) and
 * `npm run fuzz` (the full run).
 */
import { encode } from '@msgpack/msgpack';
import type { ProtocolErrorCode } from '../src/codes';
import { type CodecLimits, resolveLimits } from '../src/wire/limits';
import { Op } from '../src/wire/protocol';
import type { CorpusEntry } from './fuzz-corpus';
import { cat, Dice, enc, ext, findHeaders, header, mapOf, Raw, rewriteLength, seededRandom } from './fuzz-bytes';
import { ARITY, BAD_INTEGERS, DANGEROUS_KEYS, OP_COUNT, TYPED_FIELDS, type TypedField, wrongValueFor } from './fuzz-fields';
import { OVERCOMMIT_SHAPES, overcommit } from './fuzz-overcommit';

/** Every kind of hostile input; input `i` is of kind `FUZZ_KINDS[i % FUZZ_KINDS.length]`, so any run covers all. */
export const FUZZ_KINDS = [
  'random-bytes',
  'bit-flip',
  'truncation',
  'splice',
  'wrong-length',
  'wrong-type',
  'wrong-arity',
  'bad-integer',
  'huge-length',
  'deep-nesting',
  'proto-key',
  'unknown-op',
  'batch',
  'oversized',
  'text',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** One hostile message. */
export interface FuzzInput {
  readonly index: number;
  readonly kind: FuzzKind;
  /** Bytes go as a binary message, a string as a text message. */
  readonly data: Uint8Array | string;
  /** Set when every receiver must refuse the input, with one of these codes. */
  readonly expect?: readonly ProtocolErrorCode[];
  /** Set when the decoder's refusal must name this byte offset (` at byte N`). */
  readonly at?: number;
}

/** The seed of every published run (RELIABILITY.md) and of the quick run in `npm test`. */
export const FUZZ_SEED = 0x5eed;

/** Limits the fuzz targets run with: small messages, so that oversized inputs stay cheap. */
export const FUZZ_LIMITS: Readonly<Partial<CodecLimits>> = Object.freeze({ maxFrameBytes: 16 * 1024 });
/** The live server's `maxPayload` in the fuzz: a message above it is refused by `ws` itself (close 1009). */
export const FUZZ_MAX_PAYLOAD = 32 * 1024;

/** Builds input `index` of the run seeded with `seed`. */
export type FuzzSource = (index: number) => FuzzInput;

/**
 * The input source for `seed` over `corpus`. The corpus must hold a single-frame message of every opcode (frame
 * templates for wrong types and arities).
 * @throws {Error} naming an opcode the corpus lacks.
 */
export function fuzzSource(corpus: readonly CorpusEntry[], seed: number, limits: Readonly<Partial<CodecLimits>> = FUZZ_LIMITS): FuzzSource {
  const resolved = resolveLimits(limits);
  const singles = corpus.filter((entry) => entry.frames.length === 1);
  const templates: unknown[][] = [];
  for (let op = 0; op < OP_COUNT; op++) {
    const entry = singles.find((e) => e.frames[0]?.[0] === op);
    if (!entry) throw new Error(`the fuzz corpus has no single-frame message with opcode ${op}`);
    templates.push(entry.frames[0] as unknown[]);
  }
  const g = new Generators(corpus, singles, templates, resolved);
  return (index) => {
    const kind = FUZZ_KINDS[index % FUZZ_KINDS.length] as FuzzKind;
    // One PRNG per input, so input i never depends on the ones before it.
    const d = new Dice(seededRandom((Math.imul(seed, 0x9e3779b1) + index) >>> 0));
    // Sweeps that must reach every field or opcode use the input's rank within its kind.
    const rank = Math.floor(index / FUZZ_KINDS.length);
    return { index, kind, ...g.make(kind, d, rank) };
  };
}

type Made = { data: Uint8Array | string; expect?: readonly ProtocolErrorCode[]; at?: number };

class Generators {
  constructor(
    private readonly corpus: readonly CorpusEntry[],
    private readonly singles: readonly CorpusEntry[],
    private readonly templates: readonly unknown[][],
    private readonly limits: Readonly<CodecLimits>,
  ) {}

  make(kind: FuzzKind, d: Dice, rank: number): Made {
    switch (kind) {
      case 'random-bytes':
        return { data: this.randomBytes(d) };
      case 'bit-flip': {
        const bytes = d.pick(this.corpus).bytes.slice();
        for (let n = d.int(1, 4); n > 0; n--) {
          const at = d.int(0, bytes.length - 1);
          bytes[at] = (bytes[at] as number) ^ (1 << d.int(0, 7));
        }
        return { data: bytes };
      }
      case 'truncation': {
        const bytes = d.pick(this.singles).bytes;
        return { data: bytes.slice(0, d.int(0, bytes.length - 1)), expect: ['malformed'] };
      }
      case 'splice':
        return { data: this.splice(d) };
      case 'wrong-length': {
        const bytes = d.pick(this.corpus).bytes;
        const found = d.pick(findHeaders(bytes));
        let length = d.chance(0.7) ? found.length + d.pick([-2, -1, 1, 2, 3]) : d.int(0, 300);
        if (length < 0 || length === found.length) length = found.length + 1;
        return { data: rewriteLength(bytes, found, length) };
      }
      case 'wrong-type':
        return this.wrongType(TYPED_FIELDS[rank % TYPED_FIELDS.length] as TypedField, d);
      case 'wrong-arity':
        return this.wrongArity(rank % OP_COUNT, d);
      case 'bad-integer': {
        const uints = TYPED_FIELDS.filter((f) => f.type === 'uint');
        const field = uints[rank % uints.length] as TypedField;
        return { data: this.withField(field, d.pick(BAD_INTEGERS)), expect: ['bad_frame'] };
      }
      case 'huge-length':
        return this.hugeLength(d);
      case 'deep-nesting':
        return this.deepNesting(d, false);
      case 'proto-key':
        return this.protoKey(d, false);
      case 'unknown-op':
        return this.unknownOp(d);
      case 'batch':
        return this.batch(d, rank);
      case 'oversized':
        return this.oversized(d);
      case 'text':
        return { data: this.text(d), expect: ['text_message'] };
    }
  }

  private randomBytes(d: Dice): Uint8Array {
    const r = d.random();
    const bytes = d.bytes(r < 0.6 ? d.int(1, 16) : r < 0.9 ? d.int(17, 256) : d.int(257, 4096));
    // Mostly start like a frame, so that the input gets past the first byte and into the deeper checks.
    if (d.chance(0.6)) bytes[0] = d.pick([0x91, 0x92, 0x93, 0x94, 0x95, 0xdc, 0xdd]);
    if (d.chance(0.5) && bytes.length > 1) bytes[1] = d.int(0, OP_COUNT - 1);
    return bytes;
  }

  private splice(d: Dice): Uint8Array {
    let bytes = d.pick(this.corpus).bytes;
    for (let n = d.int(1, 4); n > 0; n--) {
      const at = d.int(0, bytes.length);
      const op = d.int(0, 3);
      if (op === 0) bytes = cat(bytes.subarray(0, at), d.bytes(d.int(1, 8)), bytes.subarray(at));
      else if (op === 1) bytes = cat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + d.int(1, 4))));
      else if (op === 2) bytes = cat(bytes.subarray(0, at), bytes.subarray(d.int(0, at)));
      else if (at < bytes.length) (bytes = bytes.slice())[at] = d.int(0, 255);
    }
    return bytes;
  }

  /** The template of the field's opcode with that field replaced by `value` (a `Raw` or any value; undefined removes a body key). */
  private withField(field: TypedField, value: unknown): Uint8Array {
    const frame = [...(this.templates[field.op] as unknown[])];
    if (field.key === undefined) {
      frame[field.at] = value;
      return enc(frame);
    }
    const body = Object.entries(frame[1] as Record<string, unknown>).filter(([k]) => k !== field.key);
    if (value !== undefined) body.push([field.key, value]);
    frame[1] = mapOf(body);
    return enc(frame);
  }

  private wrongType(field: TypedField, d: Dice): Made {
    const value = wrongValueFor(field, d);
    return { data: this.withField(field, value), expect: [field.at === 0 ? 'unknown_op' : 'bad_frame'] };
  }

  private wrongArity(op: number, d: Dice): Made {
    const frame = [...(this.templates[op] as unknown[])];
    let count = d.int(1, 6);
    if (count === ARITY[op]) count = count === 1 ? 2 : count - 1;
    // BYE may also carry one more element, its retry hint (PROTOCOL.md section 2): 4 elements is not a wrong arity.
    if (op === Op.Bye && count === 4) count = 5;
    while (frame.length > count) frame.pop();
    while (frame.length < count) frame.push(d.pick([null, 1, 'x', [], {}]));
    return { data: enc(frame), expect: ['bad_frame'] };
  }

  private hugeLength(d: Dice): Made {
    if (d.chance(0.3)) {
      // Nested headers that each fit the message alone but together declare more than it holds.
      const bomb = overcommit(d.pick(OVERCOMMIT_SHAPES), d.int(64, this.limits.maxFrameBytes), this.limits);
      return { data: bomb.bytes, expect: [bomb.code], at: bomb.at };
    }
    const tail = d.bytes(d.int(0, 24));
    // Always more than the tail holds; often the most the width can say (4 GiB, or 4 billion elements in 5 bytes).
    const declare = (width: 1 | 2 | 4): number => {
      const widest = 2 ** (8 * width) - 1;
      const r = d.random();
      return Math.min(widest, r < 0.4 ? widest : r < 0.7 ? d.int(tail.length + 1, widest) : tail.length + d.int(1, 40));
    };
    if (d.chance(0.25)) {
      // The message itself: an array (a frame) or a map (not a frame) that claims far more than it holds.
      const width = d.pick([2, 4] as const);
      const top = d.chance(0.7) ? 'array' : 'map';
      return { data: cat(header(top, declare(width), width), tail), expect: top === 'array' ? ['limit_exceeded', 'malformed'] : ['unknown_op'] };
    }
    const kind = d.pick(['array', 'map', 'str', 'bin', 'ext'] as const);
    let bomb: Uint8Array;
    if (kind === 'array' || kind === 'map') {
      const width = d.pick([2, 4] as const);
      bomb = header(kind, declare(width), width);
    } else {
      const width = d.pick([1, 2, 4] as const);
      bomb = kind === 'ext' ? ext(d.int(0, 127), new Uint8Array(0), width, declare(width)) : header(kind, declare(width), width);
    }
    // In the payload of a PUSH, a REPLY or a REQUEST to a real handler.
    const prefix = d.pick([[0x93, 0x04, 0xa1, 0x74], [0x93, 0x06, 0x01], [0x94, 0x05, 0x01, 0xa4, 0x65, 0x63, 0x68, 0x6f]]);
    return { data: cat(prefix, bomb, tail), expect: ['limit_exceeded', 'malformed'] };
  }

  /** A payload nested `levels` deep; `overOnly` keeps it just over the depth limit (small enough for a batch). */
  private deepNesting(d: Dice, overOnly: boolean): Made {
    const max = this.limits.maxDepth;
    // The frame's own array is level 1.
    const levels = overOnly ? d.int(max, max + 3) : d.chance(0.7) ? d.int(max - 4, max + 3) : d.int(max + 1, Math.min(15_000, this.limits.maxFrameBytes - 64));
    const parts: (Uint8Array | number[])[] = [];
    const small = levels > 4 * max;
    for (let i = 0; i < levels; i++) {
      parts.push(small ? [0x91] : d.pick([[0x91], [0x81, 0xa1, 0x6b], [0xdd, 0, 0, 0, 1], [0xde, 0, 1, 0xa1, 0x6b]]));
    }
    const prefix = d.pick([[0x93, 0x04, 0xa1, 0x74], [0x94, 0x05, d.int(1, 100), 0xa4, 0x65, 0x63, 0x68, 0x6f], [0x94, 0x08, 0x01, 0xa1, 0x74]]);
    const data = cat(prefix, ...parts, [0xc0]);
    return 1 + levels > max ? { data, expect: ['limit_exceeded'] } : { data };
  }

  private protoKey(d: Dice, protoOnly: boolean): Made {
    const key = protoOnly || d.chance(0.5) ? '__proto__' : d.pick(DANGEROUS_KEYS);
    const value = d.pick<unknown>([null, 1, 'x', [], { polluted: true }, mapOf([['polluted', true]])]);
    const where = d.int(0, 4);
    let data: Uint8Array;
    if (where === 0) {
      const hello = this.templates[0] as [number, Record<string, unknown>];
      data = enc([0, mapOf([...Object.entries(hello[1]), [key, value]])]);
    } else if (where === 1) {
      data = enc([4, 'game/input', mapOf([['seq', d.int(1, 9)], [key, value]])]);
    } else if (where === 2) {
      data = enc([4, 't', [1, { a: mapOf([[key, value]]) }]]);
    } else if (where === 3) {
      data = enc([5, d.int(1, 9), d.pick(['chat/join', 'chat/history', 'echo', 'game/join']), mapOf([['room', 'r'], [key, value]])]);
    } else {
      data = enc([8, 1, 'chat/say', mapOf([['room', 'r'], ['mid', 'm'], ['body', 'b'], [key, value]])]);
    }
    return key === '__proto__' ? { data, expect: ['malformed'] } : { data };
  }

  private unknownOp(d: Dice): Made {
    const r = d.random();
    if (r < 0.15) return { data: new Uint8Array([0x90]), expect: ['unknown_op'] };
    if (r < 0.35) {
      // A message whose top-level value is not an array.
      const value = d.pick<unknown>([{ op: 4 }, 'frame', 42, -1, null, true, 1.5, new Uint8Array(3), new Raw(ext(7, new Uint8Array(2)))]);
      return { data: enc(value), expect: ['unknown_op'] };
    }
    const op = d.pick<unknown>([
      d.int(OP_COUNT, 127),
      d.int(128, 255),
      d.int(256, 65535),
      -d.int(1, 32),
      -d.int(129, 30000),
      1.5,
      Number.NaN,
      '4',
      '',
      null,
      true,
      new Uint8Array(1),
      [],
      {},
    ]);
    const rest = Array.from({ length: d.int(0, 3) }, () => d.pick<unknown>([null, 1, 't', { a: 1 }]));
    return { data: enc([op, ...rest]), expect: ['unknown_op'] };
  }

  private batch(d: Dice, rank: number): Made {
    const frames = Array.from({ length: d.int(1, 4) }, () => d.pick(this.singles).bytes);
    const bad = [
      () => this.wrongType(TYPED_FIELDS[rank % TYPED_FIELDS.length] as TypedField, d),
      () => this.wrongArity(rank % OP_COUNT, d),
      () => this.unknownOp(d),
      () => this.protoKey(d, true),
      () => this.deepNesting(d, true),
    ][rank % 5] as () => Made;
    const made = bad();
    frames.splice(d.int(0, frames.length), 0, made.data as Uint8Array);
    return { data: cat(...frames), expect: made.expect };
  }

  private oversized(d: Dice): Made {
    const max = this.limits.maxFrameBytes;
    const size = d.int(max + 1, Math.floor(max * 2.5));
    if (d.chance(0.3)) {
      // Many small valid frames that are too many together.
      const one = encode([2, 1_700_000_000_000]);
      const count = Math.ceil(size / one.length);
      return { data: cat(...Array.from({ length: count }, () => one)), expect: ['frame_too_large'] };
    }
    const prefix = [0x93, 0x04, 0xa3, 0x62, 0x69, 0x67];
    const length = Math.max(0, size - prefix.length - 3);
    return { data: cat(prefix, header('str', length, 2), new Uint8Array(length).fill(0x78)), expect: ['frame_too_large'] };
  }

  private text(d: Dice): string {
    return d.pick([
      () => '',
      () => '[4,"t",1]',
      () => '{"op":0,"token":"x"}',
      () => '你好 👋',
      () => String.fromCharCode(...Array.from({ length: d.int(1, 64) }, () => d.int(32, 126))),
      () => 'x'.repeat(d.int(100, 2000)),
      () => '\u0000\uffff\ud800',
    ])();
  }
}
