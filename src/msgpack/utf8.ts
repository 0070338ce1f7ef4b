import { decodeUtf8 } from '../utf8';

// UTF-8 reading for the msgpack codec, exactly as TextDecoder (with `ignoreBOM: true`) does, quick on what a game
// sends: ASCII keys and topics, and well-formed text. Writing is src/utf8.ts's `writeUtf8`.

/** Strings up to this many bytes are first tried as ASCII, char by char (keys, topics, short values). */
const SHORT_STRING = 32;
/** Code units per `String.fromCharCode` call: an engine limits how many arguments one call takes. */
const CHUNK_UNITS = 4096;

/**
 * UTF-8 of `bytes[start, end)` exactly as TextDecoder with `ignoreBOM: true` decodes it. Well-formed input (nearly all
 * of it) takes a quick path, short ASCII quicker still; anything else is decoded by the WHATWG decoder of src/utf8.ts.
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number, units: number[]): string {
  if (end - start <= SHORT_STRING) {
    let s = '';
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  const s = wellFormed(bytes, start, end, units);
  if (s !== undefined) return s;
  // decodeUtf8 strips a leading BOM as TextDecoder does; in a msgpack string it is content, so those are put back.
  let boms = '';
  while (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) {
    boms += '\ufeff';
    start += 3;
  }
  return boms + decodeUtf8(bytes, start, end);
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
    if (n >= CHUNK_UNITS) {
      units.length = n;
      s += String.fromCharCode.apply(null, units);
      n = 0;
    }
  }
  units.length = n;
  return s + String.fromCharCode.apply(null, units);
}
