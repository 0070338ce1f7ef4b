/**
 * A WHATWG-exact UTF-8 `TextEncoder` / `TextDecoder` in plain JavaScript, for hosts that have none (every WeChat
 * device: devtools has them, which hides the bug). Lone surrogates encode as U+FFFD and invalid input decodes with
 * the standard's "maximal subpart" replacement, so output is byte-for-byte what a host codec produces.
 */

/** Result of {@link Utf8Encoder.encodeInto}, as in the Encoding standard. */
export interface EncodeIntoResult {
  read: number;
  written: number;
}

/** Bytes `str` occupies in UTF-8, counting a lone surrogate as U+FFFD (3 bytes). */
export function utf8Length(str: string): number {
  let bytes = 0;
  for (let i = 0; i < str.length; i++) {
    const unit = str.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < str.length && isLowSurrogate(str.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** WHATWG UTF-8 of `s` from unit `i` into `bytes` from `pos` (a lone surrogate is U+FFFD); returns the end. Room was made. */
export function writeUtf8(s: string, i: number, bytes: Uint8Array, pos: number): number {
  for (; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes[pos++] = c;
    } else if (c < 0x800) {
      bytes[pos++] = 0xc0 | (c >> 6);
      bytes[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1); // NaN past the end
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          bytes[pos++] = 0xf0 | (c >> 18);
          bytes[pos++] = 0x80 | ((c >> 12) & 0x3f);
          bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
          bytes[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      bytes[pos++] = 0xe0 | (c >> 12);
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/** Drop-in `TextEncoder` (UTF-8 only). */
export class Utf8Encoder {
  readonly encoding = 'utf-8';

  /** Tells the msgpack codec this is no host codec (host-text.ts's STAND_IN): its own loops are quicker. */
  multisocketStandIn(): true {
    return true;
  }

  encode(input = ''): Uint8Array {
    const str = String(input);
    const out = new Uint8Array(utf8Length(str));
    writeUtf8(str, 0, out, 0);
    return out;
  }

  encodeInto(input: string, dest: Uint8Array): EncodeIntoResult {
    const str = String(input);
    const cap = dest.length;
    let read = 0;
    let written = 0;
    while (read < str.length) {
      let cp = str.charCodeAt(read);
      let units = 1;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const next = read + 1 < str.length ? str.charCodeAt(read + 1) : 0;
        if (cp <= 0xdbff && isLowSurrogate(next)) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else {
          cp = 0xfffd;
        }
      }
      if (cp < 0x80) {
        if (written + 1 > cap) break;
        dest[written++] = cp;
      } else if (cp < 0x800) {
        if (written + 2 > cap) break;
        dest[written++] = 0xc0 | (cp >> 6);
        dest[written++] = 0x80 | (cp & 0x3f);
      } else if (cp < 0x10000) {
        if (written + 3 > cap) break;
        dest[written++] = 0xe0 | (cp >> 12);
        dest[written++] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written++] = 0x80 | (cp & 0x3f);
      } else {
        if (written + 4 > cap) break;
        dest[written++] = 0xf0 | (cp >> 18);
        dest[written++] = 0x80 | ((cp >> 12) & 0x3f);
        dest[written++] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written++] = 0x80 | (cp & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }
}

/** Code units per `String.fromCharCode` call: an engine limits how many arguments one call takes. */
const CHUNK = 4096;

/** Drop-in `TextDecoder` (UTF-8 only, non-fatal, BOM stripped as the standard's default does). */
export class Utf8Decoder {
  readonly encoding = 'utf-8';

  /** As {@link Utf8Encoder}'s. */
  multisocketStandIn(): true {
    return true;
  }
  readonly fatal = false;
  readonly ignoreBOM = false;

  constructor(label = 'utf-8') {
    const name = String(label).trim().toLowerCase();
    if (name !== 'utf-8' && name !== 'utf8' && name !== 'unicode-1-1-utf-8') {
      throw new RangeError(`The encoding label provided ('${label}') is not supported by the UTF-8 fallback`);
    }
  }

  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return '';
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    // A leading BOM is stripped, as TextDecoder does unless ignoreBOM is set (a msgpack string keeps it: content).
    const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return decodeUtf8(bytes, start, bytes.length);
  }
}

/**
 * The WHATWG UTF-8 decode of `bytes[start, end)`, as TextDecoder with `ignoreBOM: true` gives it: each maximal
 * ill-formed subpart becomes one U+FFFD. Well-formed input (nearly all of it) takes a quick path. `units` is scratch
 * space a caller may keep between calls.
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number, units: number[] = []): string {
  const s = wellFormed(bytes, start, end, units);
  return s !== undefined ? s : decodeLenient(bytes, start, end);
}

/** Decodes well-formed UTF-8 (collecting code units in `units`), or returns undefined at the first ill-formed byte. */
function wellFormed(bytes: Uint8Array, start: number, end: number, units: number[]): string | undefined {
  let s = '';
  let n = 0;
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    let c = b;
    if (b < 0x80) {
      i++;
    } else if (b < 0xe0) {
      if (b < 0xc2 || i + 1 >= end) return undefined;
      const b1 = bytes[i + 1] as number;
      if ((b1 & 0xc0) !== 0x80) return undefined;
      c = ((b & 0x1f) << 6) | (b1 & 0x3f);
      i += 2;
    } else if (b < 0xf0) {
      if (i + 2 >= end) return undefined;
      const b1 = bytes[i + 1] as number;
      const b2 = bytes[i + 2] as number;
      c = ((b & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      // Overlong, a surrogate, or not continuation bytes.
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || c < 0x800 || (c >= 0xd800 && c <= 0xdfff)) return undefined;
      i += 3;
    } else {
      if (b > 0xf4 || i + 3 >= end) return undefined;
      const b1 = bytes[i + 1] as number;
      const b2 = bytes[i + 2] as number;
      const b3 = bytes[i + 3] as number;
      c = ((b & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80 || c < 0x10000 || c > 0x10ffff) return undefined;
      c -= 0x10000;
      units[n++] = 0xd800 | (c >> 10);
      c = 0xdc00 | (c & 0x3ff);
      i += 4;
    }
    units[n++] = c;
    if (n >= CHUNK) {
      units.length = n;
      s += String.fromCharCode.apply(null, units);
      n = 0;
    }
  }
  units.length = n;
  return s + String.fromCharCode.apply(null, units);
}

/** The WHATWG decoder proper, byte by byte: what ill-formed input needs. */
function decodeLenient(bytes: Uint8Array, start: number, end: number): string {
  let i = start;
  const units: number[] = [];
  let result = '';
  let needed = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  while (i < end) {
    const byte = bytes[i] as number;
    if (needed === 0) {
      i++;
      if (byte <= 0x7f) {
        units.push(byte);
      } else if (byte >= 0xc2 && byte <= 0xdf) {
        needed = 1;
        cp = byte & 0x1f;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
        needed = 2;
        cp = byte & 0x0f;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
        needed = 3;
        cp = byte & 0x07;
      } else {
        units.push(0xfffd);
      }
    } else if (byte < lower || byte > upper) {
      // Not a continuation: the sequence so far is one error, and this byte is processed again from scratch.
      needed = 0;
      cp = 0;
      lower = 0x80;
      upper = 0xbf;
      units.push(0xfffd);
    } else {
      i++;
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (byte & 0x3f);
      if (--needed === 0) {
        if (cp > 0xffff) {
          cp -= 0x10000;
          units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
        } else {
          units.push(cp);
        }
        cp = 0;
      }
    }
    if (units.length >= CHUNK) {
      result += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (needed !== 0) units.push(0xfffd);
  if (units.length > 0) result += String.fromCharCode.apply(null, units);
  return result;
}
