/*
 * Raw msgpack building blocks for the fuzzer: headers that may lie about their length, values of every msgpack type
 * (some that no JavaScript encoder would write, like uint64 above 2^53), and a walker that finds the length-carrying
 * headers of a message so that one can be rewritten. Nothing here validates: producing invalid bytes is the point.
 */
import { encode } from '@msgpack/msgpack';
import { seededRandom } from '../test/support/random';

export { seededRandom };

/** Bytes placed verbatim where a value goes (a value an encoder would never produce). */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/** Helpers over one PRNG. */
export class Dice {
  constructor(readonly random: () => number) {}
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }
}

/** Concatenates byte arrays and byte lists. */
export function cat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Encodes a value; {@link Raw} bytes go in as they are, at any depth of arrays and plain objects. */
export function enc(value: unknown): Uint8Array {
  if (value instanceof Raw) return value.bytes;
  if (Array.isArray(value)) return cat(header('array', value.length), ...value.map(enc));
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    return cat(header('map', entries.length), ...entries.map(([k, v]) => cat(enc(k), enc(v))));
  }
  return encode(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A map written entry by entry, so that keys like `__proto__` reach the wire as keys. */
export function mapOf(entries: readonly (readonly [string, unknown])[], declared = entries.length): Raw {
  return new Raw(cat(header('map', declared), ...entries.map(([k, v]) => cat(encode(k), enc(v)))));
}

export type HeaderKind = 'array' | 'map' | 'str' | 'bin';

function be(value: number, width: number): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  return out;
}

/**
 * The header of a container or byte string declaring `length` (which may be a lie). `width` forces 1, 2 or 4 length
 * bytes; by default the smallest form that holds it.
 */
export function header(kind: HeaderKind, length: number, width?: 0 | 1 | 2 | 4): Uint8Array {
  const w = width ?? smallest(kind, length);
  switch (kind) {
    case 'array':
      if (w === 0) return new Uint8Array([0x90 | length]);
      return new Uint8Array(w === 2 ? [0xdc, ...be(length, 2)] : [0xdd, ...be(length, 4)]);
    case 'map':
      if (w === 0) return new Uint8Array([0x80 | length]);
      return new Uint8Array(w === 2 ? [0xde, ...be(length, 2)] : [0xdf, ...be(length, 4)]);
    case 'str':
      if (w === 0) return new Uint8Array([0xa0 | length]);
      return new Uint8Array([w === 1 ? 0xd9 : w === 2 ? 0xda : 0xdb, ...be(length, w)]);
    case 'bin':
      return new Uint8Array([w === 2 ? 0xc5 : w === 4 ? 0xc6 : 0xc4, ...be(length, w === 0 ? 1 : w)]);
  }
}

function smallest(kind: HeaderKind, length: number): 0 | 1 | 2 | 4 {
  const fixMax = kind === 'str' ? 31 : kind === 'bin' ? -1 : 15;
  if (length <= fixMax) return 0;
  if ((kind === 'str' || kind === 'bin') && length <= 0xff) return 1;
  return length <= 0xffff ? 2 : 4;
}

/** An ext value header and payload: `fixext` for 1/2/4/8/16 bytes unless `width` asks for ext 8/16/32. */
export function ext(type: number, data: Uint8Array, width?: 1 | 2 | 4, declared = data.length): Uint8Array {
  const t = type & 0xff;
  if (width === undefined && [1, 2, 4, 8, 16].includes(declared)) return cat([0xd4 + Math.log2(declared), t], data);
  const w = width ?? (declared <= 0xff ? 1 : declared <= 0xffff ? 2 : 4);
  return cat([w === 1 ? 0xc7 : w === 2 ? 0xc8 : 0xc9, ...be(declared, w), t], data);
}

/** A length-carrying header found in a message, for {@link rewriteLength}. */
export interface FoundHeader {
  readonly at: number;
  readonly headerLength: number;
  readonly kind: HeaderKind;
  readonly length: number;
}

/** Every array, map, str and bin header of a well-formed message, in order (ext and fixed-size values are skipped). */
export function findHeaders(bytes: Uint8Array): FoundHeader[] {
  const found: FoundHeader[] = [];
  let pos = 0;
  const read = (width: number): number => {
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 256 + (bytes[pos + 1 + i] ?? 0);
    return n;
  };
  // A flat walk: each header is followed by its children or its bytes, as the message is well-formed.
  while (pos < bytes.length) {
    const b = bytes[pos] as number;
    const push = (kind: HeaderKind, headerLength: number, length: number, skip: number): void => {
      found.push({ at: pos, headerLength, kind, length });
      pos += headerLength + skip;
    };
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) pos++;
    else if (b <= 0x8f) push('map', 1, b & 0x0f, 0);
    else if (b <= 0x9f) push('array', 1, b & 0x0f, 0);
    else if (b <= 0xbf) push('str', 1, b & 0x1f, b & 0x1f);
    else if (b === 0xc4 || b === 0xc5 || b === 0xc6) {
      const w = 1 << (b - 0xc4);
      const n = read(w);
      push('bin', 1 + w, n, n);
    } else if (b === 0xd9 || b === 0xda || b === 0xdb) {
      const w = 1 << (b - 0xd9);
      const n = read(w);
      push('str', 1 + w, n, n);
    } else if (b === 0xdc || b === 0xdd) {
      const w = b === 0xdc ? 2 : 4;
      const n = read(w);
      push('array', 1 + w, n, 0);
    } else if (b === 0xde || b === 0xdf) {
      const w = b === 0xde ? 2 : 4;
      const n = read(w);
      push('map', 1 + w, n, 0);
    } else if (b >= 0xc7 && b <= 0xc9) {
      const w = 1 << (b - 0xc7);
      pos += 2 + w + read(w);
    } else if (b >= 0xd4 && b <= 0xd8) pos += 2 + (1 << (b - 0xd4));
    else pos += 1 + ({ 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 }[b] ?? 0);
  }
  return found;
}

/** The message with one header replaced by one declaring `length` (the bytes after it are left as they were). */
export function rewriteLength(bytes: Uint8Array, found: FoundHeader, length: number): Uint8Array {
  return cat(bytes.subarray(0, found.at), header(found.kind, length), bytes.subarray(found.at + found.headerLength));
}
