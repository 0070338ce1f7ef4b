import { type Host, hostObject } from './host-text';
import { Utf8Decoder, Utf8Encoder } from './utf8';

/*
 * An opt-in for applications: the runtime itself never needs `TextEncoder` (its msgpack codec has its own UTF-8 and
 * uses a host's codec only where there is one, see host-text.ts), but other libraries in the same mini-game may, and
 * devices have neither it nor `TextDecoder`. `ensureTextCodec()` puts the WHATWG-exact fallback on the global object,
 * only where the host has none: a host's own codec is never replaced. Nothing runs on import.
 */

/** Installs the UTF-8 fallback where the host lacks `TextEncoder` / `TextDecoder`; returns what it installed. */
export function ensureTextCodec(host: Host | undefined = hostObject()): { encoder: boolean; decoder: boolean } {
  const installed = { encoder: false, decoder: false };
  if (!host) return installed;
  if (typeof host.TextEncoder !== 'function') {
    host.TextEncoder = Utf8Encoder;
    installed.encoder = true;
  }
  if (typeof host.TextDecoder !== 'function') {
    host.TextDecoder = Utf8Decoder;
    installed.decoder = true;
  }
  return installed;
}
