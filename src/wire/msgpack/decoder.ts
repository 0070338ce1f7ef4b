import { ProtocolErrorCode } from '../../codes';
import { describeError, ProtocolError } from '../../errors';
import type { CodecLimits } from '../limits';
import { type HostDecoder, hostText } from '../host-text';
import { MsgpackExt } from './ext';
import { readUtf8 } from './utf8';

const EMPTY = new Uint8Array(0);
const TWO_32 = 0x100000000;
/**
 * Keys and short strings (topics) of up to this many bytes are cached, in this many slots (a power of two): at most 64
 * strings of 16 bytes held, with their bytes, so a repeat costs one byte comparison and no new string.
 */
const MAX_CACHED_KEY = 16;
const KEY_SLOTS = 64;
/** Strings of more bytes than this go to the host's TextDecoder, when there is one. */
const HOST_STRING_BYTES = 64;

/**
 * Decodes a whole WebSocket message (msgpack values back to back, each a frame, so each an array) in one pass, checking
 * the limits as it reads: every declared length against its limit and against the bytes that remain before anything
 * is allocated, and nesting against `maxDepth` (the frame's array is 1). The bytes that remain are those not owed to the
 * open containers (each element not yet begun owes at least 1 byte, each map entry 2), so nested headers that together
 * declare more than the message holds are refused at the header that overcommits, and all the arrays open at once
 * never have more slots than the message has bytes: the work and memory of a refusal stay in proportion to the message. Values are what @msgpack/msgpack's `Decoder`
 * returns, except: bin is a copy (not a view that would keep the whole message alive and expose it through `.buffer`),
 * an unknown ext type is a {@link MsgpackExt} with a copy of its data, strings decode as TextDecoder with
 * `ignoreBOM: true` does (a U+FEFF is content). Integers beyond 2^53 are numbers, possibly rounded, as there: a
 * receiver that needs an exact integer checks `Number.isSafeInteger`. Recursion is bounded by `maxDepth`.
 */
export class MsgpackDecoder {
  private bytes: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  /**
   * How far the value being read may go: `end` minus the bytes owed to the elements that open containers declare and
   * have not begun. Each container lowers it by its minimum size when it opens and gives back each element's share as
   * that element begins, so it is `end` again once they are closed. Every length is checked against it, not `end`.
   */
  private reach = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);
  /** Code units of the string being decoded, reused. */
  private readonly units: number[] = [];
  /** The cached short strings; per slot in `keyBytes`, the string's UTF-8 length, then its bytes. */
  private readonly keys: (string | undefined)[] = [];
  private readonly keyBytes = new Uint8Array(KEY_SLOTS * (MAX_CACHED_KEY + 1));
  private readonly textDecoder: HostDecoder | undefined;

  /**
   * @param textDecoder The host's `TextDecoder` (made with `ignoreBOM: true`), for strings over 64 bytes. Default: the
   * host's own, found now ({@link hostText}); `null` decodes every string in JavaScript.
   */
  constructor(private readonly limits: Readonly<CodecLimits>, textDecoder?: HostDecoder | null) {
    this.textDecoder = textDecoder === undefined ? hostText().decoder : (textDecoder ?? undefined);
  }

  /**
   * Decodes every value of `bytes`, all or nothing.
   * @throws {ProtocolError} `unknown_op` for a top-level value that is not an array; `limit_exceeded` for a length or
   * the nesting over its limit; `malformed` for an empty message, a value cut short, a length longer than what remains
   * once every open container's elements have their minimum (1 byte per element, 2 per map entry),
   * byte 0xc1, a map key that is not a string or a number, a key `__proto__`, or a timestamp of a wrong size. With
   * several faults, the first in the message decides. Each message names the byte offset where the fault was found.
   */
  decodeAll(bytes: Uint8Array): unknown[] {
    const end = bytes.length;
    if (end === 0) throw malformed('empty message');
    this.bytes = bytes;
    this.pos = 0;
    this.end = end;
    this.reach = end;
    const values: unknown[] = [];
    try {
      do {
        const head = bytes[this.pos] as number;
        if ((head & 0xf0) !== 0x90 && head !== 0xdc && head !== 0xdd) {
          throw new ProtocolError(ProtocolErrorCode.UnknownOp, `a frame must be a msgpack array (byte ${this.pos} is 0x${hex(head)})`);
        }
        values.push(this.value(0));
      } while (this.pos < end);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw malformed(`undecodable msgpack: ${describeError(err)}`);
    } finally {
      // Do not keep the message alive until the next one.
      this.bytes = EMPTY;
    }
    return values;
  }

  /** One value; `depth` is how many containers hold it. */
  private value(depth: number): unknown {
    const at = this.pos;
    if (at >= this.end) throw truncated(at);
    const b = this.bytes[at] as number;
    this.pos = at + 1;
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b < 0x90) return this.map(b & 0x0f, depth);
    if (b < 0xa0) return this.array(b & 0x0f, depth);
    if (b < 0xc0) return (b & 0x1f) <= MAX_CACHED_KEY ? this.cachedKey(b & 0x1f) : this.str(b & 0x1f);
    // 0xc0 to 0xdf, in runs that share a decoding.
    if (b <= 0xc3) {
      if (b === 0xc1) throw malformed(`byte 0xc1 at ${at} is never used in msgpack`);
      return b === 0xc0 ? null : b === 0xc3;
    }
    if (b <= 0xc6) return this.bin(this.uint(1 << (b - 0xc4)));
    if (b <= 0xc9) return this.ext(this.uint(1 << (b - 0xc7)));
    if (b <= 0xcb) return this.float(b === 0xca ? 4 : 8);
    if (b <= 0xce) return this.uint(1 << (b - 0xcc));
    if (b === 0xcf) return this.uint(4) * TWO_32 + this.uint(4);
    if (b <= 0xd2) {
      // Sign-extend from 8, 16 or 32 bits.
      const shift = 32 - (8 << (b - 0xd0));
      return (this.uint(1 << (b - 0xd0)) << shift) >> shift;
    }
    if (b === 0xd3) return (this.uint(4) | 0) * TWO_32 + this.uint(4);
    if (b <= 0xd8) return this.ext(1 << (b - 0xd4));
    if (b <= 0xdb) return this.str(this.uint(1 << (b - 0xd9)));
    if (b <= 0xdd) return this.array(this.uint(b === 0xdc ? 2 : 4), depth);
    return this.map(this.uint(b === 0xde ? 2 : 4), depth);
  }

  private array(n: number, depth: number): unknown[] {
    this.open(n, n, 'array length', this.limits.maxArrayLength, depth);
    // Pre-sized safely: `open` proved the message holds at least n more bytes besides what other containers are owed.
    const array = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      this.reach++;
      array[i] = this.value(depth + 1);
    }
    return array;
  }

  private map(n: number, depth: number): Record<string, unknown> {
    this.open(n, 2 * n, 'map length', this.limits.maxMapLength, depth);
    const map: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      // The entry's 2 bytes are given back at once: a key never opens a container, so nothing checks against it.
      this.reach += 2;
      const key = this.key();
      map[key] = this.value(depth + 1);
    }
    return map;
  }

  /**
   * Checks a container's header, in the scanner's order: its limit, the bytes left (each child takes one, each map entry
   * two, on top of what the open containers are owed), the depth; then reserves the children's minimum.
   */
  private open(n: number, minBytes: number, what: string, limit: number, depth: number): void {
    const pos = this.pos;
    if (n > limit) throw over(what, n, limit, pos);
    if (minBytes > this.reach - pos) throw minBytes > this.end - pos ? truncated(pos) : overcommitted(pos);
    if (depth >= this.limits.maxDepth) throw over('nesting depth', depth + 1, this.limits.maxDepth, pos);
    this.reach -= minBytes;
  }

  /** A map key: a string or a number, as @msgpack/msgpack's default key converter accepts, and never `__proto__`. */
  private key(): string | number {
    const at = this.pos;
    if (at >= this.end) throw truncated(at);
    const b = this.bytes[at] as number;
    let key: string | number;
    if (b >= 0xa0 && b <= 0xa0 + MAX_CACHED_KEY) {
      this.pos = at + 1;
      key = this.cachedKey(b & 0x1f);
    } else if (b < 0x80 || b >= 0xe0 || (b > 0xa0 + MAX_CACHED_KEY && b <= 0xbf) || (b >= 0xca && b <= 0xd3) || (b >= 0xd9 && b <= 0xdb)) {
      key = this.value(0) as string | number;
    } else {
      throw malformed(`a map key must be a string or a number (byte ${at} is 0x${hex(b)})`);
    }
    if (key === '__proto__') throw malformed(`map key __proto__ at byte ${at} is not allowed`);
    return key;
  }

  /**
   * A short string, from the cache when the same bytes came before: no new string, no re-hashing by the engine. The
   * slot comes from the length and three bytes (first, middle, last), so finding it costs the same for any length.
   */
  private cachedKey(n: number): string {
    const start = this.take(n, 'string bytes', this.limits.maxStringBytes);
    if (n === 0) return '';
    const bytes = this.bytes;
    const held = this.keyBytes;
    const slot =
      ((bytes[start] as number) * 11 + (bytes[start + n - 1] as number) * 9 + (bytes[start + (n >> 1)] as number) * 5 + n * 3) & (KEY_SLOTS - 1);
    const base = slot * (MAX_CACHED_KEY + 1);
    if (held[base] === n) {
      let i = 0;
      while (i < n && held[base + 1 + i] === bytes[start + i]) i++;
      if (i === n) return this.keys[slot] as string;
    }
    const key = readUtf8(bytes, start, this.pos, this.units);
    this.keys[slot] = key;
    held[base] = n;
    for (let i = 0; i < n; i++) held[base + 1 + i] = bytes[start + i] as number;
    return key;
  }

  private str(n: number): string {
    if (n <= MAX_CACHED_KEY) return this.cachedKey(n);
    const start = this.take(n, 'string bytes', this.limits.maxStringBytes);
    if (n > HOST_STRING_BYTES && this.textDecoder) return this.textDecoder.decode(this.bytes.subarray(start, this.pos));
    return readUtf8(this.bytes, start, this.pos, this.units);
  }

  private bin(n: number): Uint8Array {
    return this.copy(this.take(n, 'binary bytes', this.limits.maxBinaryBytes));
  }

  private ext(n: number): unknown {
    if (n > this.limits.maxExtBytes) throw over('ext bytes', n, this.limits.maxExtBytes, this.pos);
    const at = this.pos;
    const start = this.take(n + 1, '', Infinity) + 1;
    const type = ((this.bytes[at] as number) << 24) >> 24;
    if (type !== -1) return new MsgpackExt(type, this.copy(start));
    let sec: number;
    let nsec = 0;
    if (n === 4) {
      sec = this.word(start);
    } else if (n === 8) {
      const high = this.word(start);
      sec = (high & 3) * TWO_32 + this.word(start + 4);
      nsec = high >>> 2;
    } else if (n === 12) {
      nsec = this.word(start);
      sec = (this.word(start + 4) | 0) * TWO_32 + this.word(start + 8);
    } else {
      throw malformed(`a timestamp (ext -1) has 4, 8 or 12 bytes, not ${n} (byte ${at})`);
    }
    return new Date(sec * 1e3 + nsec / 1e6);
  }

  private float(width: number): number {
    const start = this.take(width, '', Infinity);
    // Copied into an 8-byte scratch: no DataView over each message, and the host's byte order does not matter.
    for (let i = 0; i < width; i++) this.scratchBytes[i] = this.bytes[start + i] as number;
    return width === 4 ? this.scratch.getFloat32(0) : this.scratch.getFloat64(0);
  }

  /** A plain Uint8Array copy of the bytes from `start` to here (`slice` would not copy a Node Buffer). */
  private copy(start: number): Uint8Array {
    return new Uint8Array(this.bytes.subarray(start, this.pos));
  }

  /**
   * Consumes `n` bytes after checking `n` against `limit` and against what remains once the open containers' elements
   * have their minimum; returns where they start.
   */
  private take(n: number, what: string, limit: number): number {
    const start = this.pos;
    if (n > limit) throw over(what, n, limit, start);
    if (n > this.reach - start) throw n > this.end - start ? truncated(this.end) : overcommitted(start);
    this.pos = start + n;
    return start;
  }

  /** Consumes a big-endian unsigned integer of 1, 2 or 4 bytes. */
  private uint(width: number): number {
    const at = this.take(width, '', Infinity);
    const bytes = this.bytes;
    if (width === 1) return bytes[at] as number;
    if (width === 2) return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    return this.word(at);
  }

  /** The unsigned 32-bit big-endian integer at `at` (already consumed). */
  private word(at: number): number {
    const bytes = this.bytes;
    return (
      (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
    );
  }
}

function malformed(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Malformed, message);
}

function truncated(at: number): ProtocolError {
  return malformed(`message truncated or malformed at byte ${at}`);
}

/** A length that fits the bytes left, but not together with the elements the open containers still declare. */
function overcommitted(at: number): ProtocolError {
  return malformed(`message truncated or malformed at byte ${at}: open containers declare more than the message holds`);
}

/** `at` is where the value over its limit would start (its elements or bytes), as for a truncation. */
function over(what: string, size: number, limit: number, at: number): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.LimitExceeded, `${what} ${size} exceeds the limit of ${limit} at byte ${at}`);
}

function hex(byte: number): string {
  return (byte < 16 ? '0' : '') + byte.toString(16);
}
