/*
 * Overcommitting messages: container headers nested one in the other, each declaring as many elements as the bytes
 * after it could hold on their own (at most its limit), then a byte or ext string that fits what is left but not
 * beside what the open containers still declare, then filler. A decoder that checks each length only against the bytes
 * left opens container after container until the depth limit stops it; the decoder refuses at the header where
 * the sum of what the open containers declare (1 byte per element, 2 per map entry) first exceeds what is left.
 * Shared by the fuzz inputs, test/runtime/wire/decode-cost.test.ts and benchmarks/decode-cost.ts.
 */
import type { ProtocolErrorCode } from '../src/codes';
import type { CodecLimits } from '../src/wire/limits';
import { cat, ext, header } from './fuzz-bytes';

export const OVERCOMMIT_SHAPES = ['array16', 'array32', 'map16', 'map32', 'bin', 'ext', 'mixed'] as const;
export type OvercommitShape = (typeof OVERCOMMIT_SHAPES)[number];

/** A hostile message and where, by the rule PROTOCOL.md states, it must be refused. */
export interface Overcommit {
  readonly bytes: Uint8Array;
  /** The byte offset the refusal names: where the elements or bytes of the header that overcommits would start. */
  readonly at: number;
  readonly code: ProtocolErrorCode;
}

/** A PUSH frame `[4, "t", payload]`: the payload is the frame's last element, so the frame owes nothing beside it. */
const PUSH_PREFIX = [0x93, 0x04, 0xa1, 0x74];
/** Each map's one key, `"k"`, before its value. */
const KEY = [0xa1, 0x6b];

type Level = 'array16' | 'array32' | 'map16' | 'map32';
const MIXED: readonly Level[] = ['array32', 'map16', 'array16', 'map32'];

/**
 * An overcommitting PUSH frame of exactly `size` bytes under `limits`.
 * @throws {RangeError} when `size` is too small to hold the shape.
 */
export function overcommit(shape: OvercommitShape, size: number, limits: Readonly<CodecLimits>): Overcommit {
  const parts: (Uint8Array | readonly number[])[] = [PUSH_PREFIX];
  let pos = PUSH_PREFIX.length;
  // Bytes the open containers still declare for elements not yet begun.
  let owed = 0;
  const finish = (at: number, code: ProtocolErrorCode): Overcommit => {
    if (pos > size) throw new RangeError(`an overcommitting ${shape} needs more than ${size} bytes`);
    // Filler: nils, which a decoder that did not refuse would read as elements.
    return { bytes: cat(...parts, new Uint8Array(size - pos).fill(0xc0)), at, code };
  };
  // The frame's array is depth 1; each level adds one. Each level's header sits at the start of the element the level
  // above has just begun, whose 1-byte share is no longer owed.
  for (let depth = 2; ; depth++) {
    const level = shape === 'mixed' ? (MIXED[(depth - 2) % MIXED.length] as Level) : shape === 'bin' || shape === 'ext' ? 'array32' : shape;
    const isMap = level.startsWith('map');
    const width = level.endsWith('16') ? 2 : 4;
    const per = isMap ? 2 : 1;
    // What the header and its elements may use: the message after the header, less what the open containers owe.
    const room = size - pos - 1 - width - owed;
    if (room < 0) return finish(pos + 1, 'malformed');
    if ((shape === 'bin' || shape === 'ext') && depth === 3) {
      // A byte string as long as the rest of the message: it fits alone, but not beside the array's other elements.
      const head = shape === 'bin' ? header('bin', size - pos - 5, 4) : ext(9, new Uint8Array(0), 4, size - pos - 6);
      parts.push(head);
      pos += head.length;
      // An ext's length counts from its type byte, the last of its header.
      return finish(shape === 'bin' ? pos : pos - 1, 'malformed');
    }
    // As many as the bytes after the header hold on their own (16 spare, so the next header fits), up to the limit.
    const alone = shape === 'bin' || shape === 'ext' ? Math.floor((size - pos) / 2) : size - pos - 1 - width - 16;
    const n = Math.min(isMap ? limits.maxMapLength : limits.maxArrayLength, 2 ** (8 * width) - 1, Math.floor(alone / per));
    if (n < 2) throw new RangeError(`an overcommitting ${shape} needs more than ${size} bytes`);
    parts.push(header(isMap ? 'map' : 'array', n, width));
    pos += 1 + width;
    if (per * n > room) return finish(pos, 'malformed');
    if (depth > limits.maxDepth) return finish(pos, 'limit_exceeded');
    owed += per * (n - 1);
    if (isMap) {
      // The first entry's key; its value is the next level.
      parts.push(KEY);
      pos += KEY.length;
    }
  }
}
