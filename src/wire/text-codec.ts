import { Utf8Decoder, Utf8Encoder } from './utf8';

/*
 * An opt-in for applications: the runtime itself never needs `TextEncoder` (its msgpack codec uses src/wire/utf8.ts), but
 * other libraries in the same mini-game may, and devices have neither it nor `TextDecoder`. `ensureTextCodec()` puts
 * the WHATWG-exact fallback on the global object, only where the host has none: a host's own codec is never replaced.
 * Nothing runs on import; the runtime itself leaves the global object alone.
 *
 * It is the one place in src/ that looks for the global object; every other platform object is passed in.
 * `globalThis` exists only from base library 2.16.1, so the mini-game's `GameGlobal` and the older names are tried too.
 */

declare const GameGlobal: unknown;
declare const self: unknown;
declare const window: unknown;
declare const global: unknown;

type Host = { TextEncoder?: unknown; TextDecoder?: unknown };

function hostObject(): Host | undefined {
  // typeof on an undeclared name never throws, so each probe is safe on every platform.
  // eslint-disable-next-line no-restricted-globals -- the one sanctioned global lookup, see the comment above.
  if (typeof globalThis === 'object' && globalThis) return globalThis as Host;
  if (typeof GameGlobal === 'object' && GameGlobal) return GameGlobal as Host;
  if (typeof self === 'object' && self) return self as Host;
  if (typeof window === 'object' && window) return window as Host;
  if (typeof global === 'object' && global) return global as Host;
  return undefined;
}

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
