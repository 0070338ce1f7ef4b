import { decodeUtf8 } from '../utf8';

// UTF-8 reading for the msgpack codec: src/wire/utf8.ts's decoder (TextDecoder's result, a BOM kept as content), with a
// quicker path for what a game sends most, short ASCII keys and topics. Writing is src/wire/utf8.ts's `writeUtf8`.

/** Strings up to this many bytes are first tried as ASCII, char by char. */
const SHORT_STRING = 32;

/** UTF-8 of `bytes[start, end)` exactly as TextDecoder with `ignoreBOM: true` decodes it; `units` is scratch space. */
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
  return decodeUtf8(bytes, start, end, units);
}
