import { Op } from '../wire/protocol';

/**
 * The bytes a RELIABLE frame starts with: fixarray(4), then the opcode as a positive fixint. The seq follows, then
 * the encoded topic and payload, which a renumbering leaves as they are.
 */
export const RELIABLE_HEAD = [0x94, Op.Reliable] as const;

/** How many bytes msgpack takes for a non-negative safe integer: positive fixint, uint 8, 16, 32 or 64. */
export function uintWidth(value: number): number {
  return value < 0x80 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : value < 0x100000000 ? 5 : 9;
}

/** The msgpack type byte of an unsigned integer by its {@link uintWidth} (uint 8, 16, 32, 64). */
const UINT_TYPE = [0, 0, 0xcc, 0xcd, 0, 0xce, 0, 0, 0, 0xcf];

/** Writes a non-negative safe integer as msgpack does, in {@link uintWidth} bytes at `at`, big-endian. */
export function writeUint(out: Uint8Array, at: number, value: number): void {
  const width = uintWidth(value);
  if (width === 1) {
    out[at] = value;
    return;
  }
  out[at] = UINT_TYPE[width] as number;
  // Byte by byte from the low end: the high word of a uint 64 by division, as bit operators stop at 32 bits.
  for (let i = width - 1, rest = value; i > 0; i--, rest = Math.floor(rest / 256)) out[at + i] = rest % 256;
}

/** The bytes of an encoded RELIABLE frame after its seq: the topic and payload, which a renumbering leaves as they are. */
export function afterSeq(frame: Uint8Array): Uint8Array {
  const type = frame[RELIABLE_HEAD.length] as number;
  const width = type < 0x80 ? 1 : 1 + 2 ** (type - 0xcc);
  return frame.subarray(RELIABLE_HEAD.length + width);
}

/** The RELIABLE frame numbered `seq` whose bytes after the seq are `tail` ({@link afterSeq}), in a buffer of its own. */
export function spliceSeq(tail: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(RELIABLE_HEAD.length + uintWidth(seq) + tail.byteLength);
  out.set(RELIABLE_HEAD);
  writeUint(out, RELIABLE_HEAD.length, seq);
  out.set(tail, out.byteLength - tail.byteLength);
  return out;
}

/**
 * A RELIABLE frame this side encoded, numbered `seq` instead: the same topic and payload bytes, never decoded again
 * (so neither the application's later changes to the payload nor this side's receive limits apply to it).
 */
export function renumbered(frame: Uint8Array, seq: number): Uint8Array {
  return spliceSeq(afterSeq(frame), seq);
}
