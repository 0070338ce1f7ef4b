/**
 * A msgpack ext value of a type this codec does not interpret (every type but -1, the timestamp). The decoder returns
 * one with a copy of the data and the encoder writes it back byte for byte, as @msgpack/msgpack does with its `ExtData`.
 */
export class MsgpackExt {
  /**
   * @param type the ext type, -128 to 127 (-1 is the timestamp, which decodes to a `Date` instead).
   * @param data the ext payload.
   */
  constructor(readonly type: number, readonly data: Uint8Array) {}
}

const TWO_32 = 0x100000000;

/**
 * A `Date` as timestamp ext -1 in its smallest form (32, 64 or 96 bits), as the msgpack spec and @msgpack/msgpack
 * choose it: the whole ext, header included (at most 15 bytes, within the room the encoder makes for any scalar).
 */
export function timestampExt(ms: number): Uint8Array {
  const sec = Math.floor(ms / 1e3);
  const nsec = (ms - sec * 1e3) * 1e6;
  if (sec >= 0 && sec < 0x400000000) {
    if (nsec === 0 && sec < TWO_32) return withWords([0xd6, 0xff], [sec]);
    return withWords([0xd7, 0xff], [(nsec << 2) | ((sec / TWO_32) & 3), sec]);
  }
  // An invalid Date (NaN) writes zeros here, as msgpack does.
  return withWords([0xc7, 0x0c, 0xff], [nsec, Math.floor(sec / TWO_32), sec]);
}

/** `head`, then the low 32 bits of each word, big-endian (a Uint8Array keeps each store's low 8 bits). */
function withWords(head: readonly number[], words: readonly number[]): Uint8Array {
  const out = new Uint8Array(head.length + 4 * words.length);
  out.set(head);
  let pos = head.length;
  for (const word of words) {
    out[pos++] = word >>> 24;
    out[pos++] = word >>> 16;
    out[pos++] = word >>> 8;
    out[pos++] = word;
  }
  return out;
}
