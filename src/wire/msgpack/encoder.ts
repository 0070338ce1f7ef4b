import { UsageErrorCode } from '../../codes';
import { UsageError } from '../../errors';
import { MsgpackExt, timestampExt } from './ext';
import { describeKey, mapSize, Refusal, refusalOf, within } from './refusal';
import { type HostEncoder, hostText } from '../host-text';
import { writeUtf8 } from '../utf8';
import { ByteWriter, mapHeaderBytes, TWO_32 } from './writer';

/** Options of {@link MsgpackEncoder}. */
export interface MsgpackEncoderOptions {
  /** Deepest nesting of arrays and maps, a top-level array counting as 1 (the decoder's rule, so both agree). */
  maxDepth: number;
  /**
   * The host's `TextEncoder`, for strings longer than 32 UTF-16 units (shorter ones are quicker in JavaScript). Default:
   * the host's own, found when the encoder is made ({@link hostText}); `null` encodes every string in JavaScript.
   */
  textEncoder?: HostEncoder | null;
}

const INITIAL_BYTES = 2048;
/** After a larger value the buffer shrinks back to this, so one big frame does not pin its size for the encoder's life. */
const KEPT_BYTES = 64 * 1024;
/** Strings of more UTF-16 units than this go to the host's TextEncoder, when there is one. */
const HOST_STRING_UNITS = 32;

/**
 * Encodes values to msgpack, byte for byte as @msgpack/msgpack's `new Encoder({ ignoreUndefined: true })` does for
 * every value it encodes faithfully: smallest integer widths (int64/uint64 beyond 32 bits; -0 is 0), other numbers as
 * float 64, strings as UTF-8 (a lone surrogate as U+FFFD, as TextEncoder does), `undefined` as nil in arrays and
 * omitted from maps, any ArrayBufferView as bin of its bytes, `Date` as timestamp ext -1, {@link MsgpackExt} as its ext,
 * and a plain object or class instance as a map of its own enumerable string keys.
 * Deliberate differences, none of which changes data silently: an `ArrayBuffer` is bin (msgpack writes an empty map);
 * a lone surrogate is U+FFFD in short strings too (msgpack writes invalid UTF-8 for strings under 51 units); a `Map`
 * is a map of its entries and a `Set` an array of its values (msgpack writes both as an empty map); and a built-in
 * object whose data is not in its own fields (RegExp, Error, Promise, WeakMap, a boxed primitive) or a key
 * `__proto__` (which a decoder refuses) is refused, where msgpack writes a map that loses it.
 */
export class MsgpackEncoder extends ByteWriter {
  private busy = false;
  private readonly maxDepth: number;
  private readonly textEncoder: HostEncoder | undefined;
  /** Map keys of up to 16 units as encoded, copied on a repeat; emptied when it holds 64, so it stays small. */
  private readonly keys = new Map<string, Uint8Array>();

  constructor(options: Readonly<MsgpackEncoderOptions>) {
    super(INITIAL_BYTES);
    this.maxDepth = options.maxDepth;
    this.textEncoder = options.textEncoder === undefined ? hostText().encoder : (options.textEncoder ?? undefined);
  }

  /**
   * Encodes `value` into the encoder's buffer and returns a view of it, valid until the next call.
   * @throws {UsageError} `unencodable`, naming the value and where it is, for a function, symbol or bigint, a built-in
   * object with no msgpack form, a `Map` key that cannot be a property name, or for containers nested deeper than
   * `maxDepth` (a cyclic structure included).
   */
  encodeSharedRef(value: unknown): Uint8Array {
    // Called again from inside an encode (a getter that encodes): the shared buffer is in use, so use another.
    if (this.busy) return new MsgpackEncoder({ maxDepth: this.maxDepth, textEncoder: this.textEncoder ?? null }).encodeSharedRef(value);
    if (this.bytes.length > KEPT_BYTES) this.grow(KEPT_BYTES, 0);
    this.pos = 0;
    this.busy = true;
    try {
      this.value(value, 0);
    } catch (err) {
      const refusal = err instanceof Refusal ? err : refusalOf(err);
      // A path thousands of steps long (a cycle under a huge maxDepth) is cut: the start says enough.
      const path = refusal.path.length > 200 ? `${refusal.path.slice(0, 200)}…` : refusal.path || 'the value';
      throw new UsageError(UsageErrorCode.Unencodable, `cannot encode ${path}: ${refusal.reason}`);
    } finally {
      this.busy = false;
    }
    return this.bytes.subarray(0, this.pos);
  }

  private value(value: unknown, depth: number): void {
    // Room for any scalar, header or timestamp; strings, binaries and exts make room for their own bytes.
    if (this.pos + 16 > this.bytes.length) this.room(16);
    switch (typeof value) {
      case 'number':
        return this.number(value);
      case 'string':
        return this.string(value);
      case 'boolean':
        return this.put(value ? 0xc3 : 0xc2, 0, 0);
      case 'undefined':
        return this.put(0xc0, 0, 0);
      case 'object':
        return value === null ? this.put(0xc0, 0, 0) : this.object(value, depth);
      default:
        throw new Refusal(`a ${typeof value} has no msgpack form`);
    }
  }

  private number(n: number): void {
    if (n >= 0 && n < 0x80 && (n | 0) === n) {
      // A positive fixint, the commonest number, in one store (-0 included: it is written as 0).
      this.bytes[this.pos++] = n;
    } else if (!Number.isSafeInteger(n)) {
      this.bytes[this.pos] = 0xcb;
      this.view.setFloat64(this.pos + 1, n);
      this.pos += 9;
    } else if (n >= 0) {
      if (n < 0x80) this.put(n, 0, 0);
      else if (n < 0x100) this.put(0xcc, n, 1);
      else if (n < 0x10000) this.put(0xcd, n, 2);
      else if (n < TWO_32) this.put(0xce, n, 4);
      else this.int64(0xcf, n);
    } else if (n >= -0x20) this.put(n, 0, 0);
    else if (n >= -0x80) this.put(0xd0, n, 1);
    else if (n >= -0x8000) this.put(0xd1, n, 2);
    else if (n >= -0x80000000) this.put(0xd2, n, 4);
    else this.int64(0xd3, n);
  }

  /**
   * One pass: the header is sized as if the string were ASCII (a byte per unit) and the bytes written after it; a
   * non-ASCII string whose byte length needs a wider header is moved up by the difference (at most 4 bytes).
   */
  private string(s: string): void {
    const n = s.length;
    if (this.pos + 5 + 3 * n > this.bytes.length) this.room(5 + 3 * n);
    const bytes = this.bytes;
    const at = this.pos;
    if (n < 32) {
      // A fixstr if ASCII (keys and topics nearly always are): no header to size, nothing to move.
      let i = 0;
      let c = 0;
      while (i < n && (c = s.charCodeAt(i)) < 0x80) bytes[at + 1 + i++] = c;
      if (i === n) {
        bytes[at] = 0xa0 | n;
        this.pos = at + 1 + n;
        return;
      }
    }
    const guess = headerBytes(n);
    const start = at + guess;
    let pos = start;
    if (n > HOST_STRING_UNITS && this.textEncoder) {
      pos += this.textEncoder.encodeInto(s, bytes.subarray(start)).written;
    } else {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[pos++] = c;
      }
      if (i < n) pos = writeUtf8(s, i, bytes, pos);
    }
    const length = pos - start;
    const header = headerBytes(length);
    if (header !== guess) {
      bytes.copyWithin(at + header, start, pos);
      pos += header - guess;
    }
    this.header(length, 0xa0, 32, 0xd9, 0xda);
    this.pos = pos;
  }

  private object(value: object, depth: number): void {
    if (Array.isArray(value)) return this.array(value, depth);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) this.map(value as Record<string, unknown>, depth);
    else if (value instanceof Date) this.raw(timestampExt(value.getTime()));
    else if (ArrayBuffer.isView(value)) this.bin(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (value instanceof ArrayBuffer) this.bin(new Uint8Array(value));
    else if (value instanceof MsgpackExt) this.ext(value.type, value.data);
    else {
      if (value instanceof Map) this.entries(value, depth);
      else if (value instanceof Set) this.array([...(value as Set<unknown>)], depth);
      else {
        // A class instance is its own enumerable fields, as JSON.stringify sees it; a built-in that keeps its data
        // elsewhere (RegExp, Error, Promise, WeakMap, a boxed primitive, a Map of another realm) would arrive as {}.
        const tag = Object.prototype.toString.call(value).slice(8, -1);
        if (tag !== 'Object') throw new Refusal(`a ${tag} has no msgpack form`);
        this.map(value as Record<string, unknown>, depth);
      }
    }
  }

  private array(array: readonly unknown[], depth: number): void {
    if (depth >= this.maxDepth) this.deeper(depth);
    const n = array.length;
    this.header(n, 0x90, 16, 0, 0xdc);
    let i = 0;
    try {
      for (; i < n; i++) this.value(array[i], depth + 1);
    } catch (err) {
      throw within(err, `[${i}]`);
    }
  }

  /**
   * A `Map` as a msgpack map. It arrives as a plain object, so its keys must be what an object's property names can
   * hold without a loss: strings and numbers (the number as a msgpack number), no two naming the same property (1 and
   * "1"), and never `__proto__`. An `undefined` value is left out, as in an object.
   */
  private entries(map: Map<unknown, unknown>, depth: number): void {
    this.deeper(depth);
    this.header(mapSize(map), 0x80, 16, 0, 0xde);
    for (const [key, item] of map) {
      if (item === undefined) continue;
      try {
        this.room(16);
        if (typeof key === 'string') this.string(key);
        else this.number(key as number);
        this.value(item, depth + 1);
      } catch (err) {
        throw within(err, `[${describeKey(key)}]`);
      }
    }
  }

  /**
   * One pass, each value read once: the header counts every key, and is rewritten (the entries moved up when it
   * shrinks) if some values were `undefined` and left out.
   */
  private map(map: Record<string, unknown>, depth: number): void {
    if (depth >= this.maxDepth) this.deeper(depth);
    const keys = Object.keys(map);
    const n = keys.length;
    const at = this.pos;
    this.header(n, 0x80, 16, 0, 0xde);
    let size = 0;
    let key = '';
    try {
      for (let i = 0; i < n; i++) {
        key = keys[i] as string;
        const item = map[key];
        if (item === undefined) continue;
        // A decoder refuses it (it would set the object's prototype), so the peer would drop the whole message.
        if (key === '__proto__') throw new Refusal('the key "__proto__" cannot be a property name');
        this.key(key);
        this.value(item, depth + 1);
        size++;
      }
    } catch (err) {
      throw within(err, /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
    }
    if (size !== n) this.resize(at, mapHeaderBytes(n), size);
  }

  /** A map key: as a string, copied from `keys` when it was encoded before. */
  private key(key: string): void {
    // Shorter keys are quicker converted than looked up.
    if (key.length < 4) return this.string(key);
    const encoded = this.keys.get(key);
    if (encoded === undefined) {
      const at = this.pos;
      this.string(key);
      if (key.length > 16) return;
      if (this.keys.size >= 64) this.keys.clear();
      this.keys.set(key, this.bytes.slice(at, this.pos));
    } else {
      // value() made room for 16 bytes; a key's header and up to 16 units of UTF-8 may need 49.
      if (this.pos + encoded.length > this.bytes.length) this.room(encoded.length);
      this.bytes.set(encoded, this.pos);
      this.pos += encoded.length;
    }
  }

  /** A raw run of bytes already in msgpack form (a timestamp ext); the room for it was made. */
  private raw(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  private bin(data: Uint8Array): void {
    this.room(5 + data.length);
    this.header(data.length, 0, 0, 0xc4, 0xc5);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  private ext(type: number, data: Uint8Array): void {
    const n = data.length;
    this.room(6 + n);
    const fixed = n === 1 ? 0xd4 : n === 2 ? 0xd5 : n === 4 ? 0xd6 : n === 8 ? 0xd7 : n === 16 ? 0xd8 : 0;
    if (fixed) this.put(fixed, 0, 0);
    else this.header(n, 0, 0, 0xc7, 0xc8);
    this.put(type, 0, 0);
    this.bytes.set(data, this.pos);
    this.pos += n;
  }

  private deeper(depth: number): void {
    if (depth >= this.maxDepth) throw new Refusal(`nesting depth exceeds maxDepth ${this.maxDepth}`);
  }

}

/** Header bytes of a string of `length` UTF-8 bytes: fixstr, str 8, str 16, str 32. */
function headerBytes(length: number): number {
  return length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}
