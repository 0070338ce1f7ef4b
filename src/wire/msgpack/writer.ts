/** 2^32: a 64-bit integer is its high word times this plus its low word. */
export const TWO_32 = 0x100000000;

/**
 * The growing buffer msgpack is written into, and the writes every encoder needs: a type byte with a big-endian
 * integer, the smallest header for a length. Callers make room before they write (`room`), so no write checks.
 */
export class ByteWriter {
  protected bytes: Uint8Array;
  protected view: DataView;
  protected pos = 0;

  constructor(initialBytes: number) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The smallest header for `n`: the fix form below `fixBelow`, else `type8` (when there is one), `type16`, `type16 + 1`. */
  protected header(n: number, fix: number, fixBelow: number, type8: number, type16: number): void {
    if (n < fixBelow) this.put(fix | n, 0, 0);
    else if (type8 && n < 0x100) this.put(type8, n, 1);
    else if (n < 0x10000) this.put(type16, n, 2);
    else this.put(type16 + 1, n, 4);
  }

  /** A 64-bit integer (a safe integer beyond 32 bits): high word, then low word. */
  protected int64(type: number, n: number): void {
    this.put(type, Math.floor(n / TWO_32), 4);
    this.word(n);
  }

  /** One type byte, then the low `width` bytes of `value` (0 to 4), big-endian. The room was made. */
  protected put(type: number, value: number, width: number): void {
    const bytes = this.bytes;
    let pos = this.pos;
    bytes[pos++] = type;
    if (width === 4) bytes[pos++] = value >>> 24;
    if (width >= 3) bytes[pos++] = value >>> 16;
    if (width >= 2) bytes[pos++] = value >>> 8;
    if (width >= 1) bytes[pos++] = value;
    this.pos = pos;
  }

  /** The low 32 bits of `value`, big-endian (a Uint8Array keeps each store's low 8 bits). */
  protected word(value: number): void {
    this.put(value >>> 24, value, 3);
  }

  protected room(n: number): void {
    if (this.pos + n > this.bytes.length) this.grow(Math.max(this.pos + n, this.bytes.length * 2), this.pos);
  }

  protected grow(size: number, keep: number): void {
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, keep));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  /** Rewrites the map header at `at` (`was` bytes long) for `size` entries, moving the entries if its width changes. */
  protected resize(at: number, was: number, size: number): void {
    const end = this.pos;
    this.pos = at;
    this.header(size, 0x80, 16, 0, 0xde);
    if (this.pos !== at + was) this.bytes.copyWithin(this.pos, at + was, end);
    this.pos = end - (at + was - this.pos);
  }
}

/** Header bytes of a map of `size` entries: fixmap, map 16, map 32. */
export function mapHeaderBytes(size: number): number {
  return size < 16 ? 1 : size < 0x10000 ? 3 : 5;
}
