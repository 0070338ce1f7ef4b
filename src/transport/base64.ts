/**
 * Base64 (RFC 4648, with padding) between ArrayBuffer and string, for the platforms that carry binary socket data as
 * base64 text (Alipay's older base libraries). Our own because devices have no `atob`/`btoa` or `Buffer`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Each ASCII code's base64 digit, 255 where it is none; built on first use (the module does nothing when loaded). */
let lookup: Uint8Array | undefined;

function digits(): Uint8Array {
  if (!lookup) {
    lookup = new Uint8Array(128).fill(255);
    for (let i = 0; i < ALPHABET.length; i++) lookup[ALPHABET.charCodeAt(i)] = i;
  }
  return lookup;
}

/** The base64 text of `buffer`'s bytes. */
export function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + (rest === 2 ? ALPHABET.charAt((n >> 6) & 63) : '=') + '=';
  }
  return out;
}

/** The bytes of base64 `text` (padding optional, whitespace refused), or undefined when it is not base64. */
export function fromBase64(text: string): ArrayBuffer | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && text.length - end < 2) end--;
  if (end % 4 === 1) return undefined;
  const table = digits();
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? (table[code] as number) : 255;
    if (digit === 255) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 255;
    }
  }
  return out.buffer;
}
