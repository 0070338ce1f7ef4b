/*
 * The host's own UTF-8 codec, where it has one (Node, browsers, devtools), found once per msgpack encoder or decoder:
 * long strings go to it, as native code converts them faster than JavaScript; short ones and every string on a host
 * without one (a device) stay with src/wire/utf8.ts. Both are WHATWG UTF-8, so the bytes and strings are the same.
 *
 * This and text-codec.ts are the one place in src/ that looks for the global object; every other platform object is
 * passed in. `globalThis` exists only from base library 2.16.1, so the mini-game's `GameGlobal` and the older names are
 * tried too.
 */

declare const GameGlobal: unknown;
declare const self: unknown;
declare const window: unknown;
declare const global: unknown;

/** The global object's text codec constructors, as far as this module looks. */
export type Host = { TextEncoder?: unknown; TextDecoder?: unknown };

/** What the msgpack codec uses of a host's `TextEncoder`. */
export interface HostEncoder {
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

/** What the msgpack codec uses of a host's `TextDecoder` (made with `ignoreBOM: true`: a msgpack string keeps a BOM). */
export interface HostDecoder {
  decode(input: Uint8Array): string;
}

/** The host's UTF-8 codec: `undefined` for a side the host lacks, or has only as this package's JavaScript stand-in. */
export interface HostText {
  readonly encoder: HostEncoder | undefined;
  readonly decoder: HostDecoder | undefined;
}

/** The global object, or undefined where none of its names exists. */
export function hostObject(): Host | undefined {
  // typeof on an undeclared name never throws, so each probe is safe on every platform.
  // eslint-disable-next-line no-restricted-globals -- the sanctioned global lookup, see the comment above.
  if (typeof globalThis === 'object' && globalThis) return globalThis as Host;
  if (typeof GameGlobal === 'object' && GameGlobal) return GameGlobal as Host;
  if (typeof self === 'object' && self) return self as Host;
  if (typeof window === 'object' && window) return window as Host;
  if (typeof global === 'object' && global) return global as Host;
  return undefined;
}

/** The method that marks the stand-ins `ensureTextCodec()` installs (src/wire/utf8.ts's classes). */
const STAND_IN = 'multisocketStandIn';

/**
 * True for this package's own JavaScript stand-ins: handing strings to them would be slower than the codec's own
 * loops. Marked by a prototype method (defining it does nothing when the module loads, unlike a static field).
 */
function isStandIn(ctor: unknown): boolean {
  const prototype = (ctor as { prototype?: unknown }).prototype;
  return typeof prototype === 'object' && prototype !== null && STAND_IN in prototype;
}

/** The host's `TextEncoder` (when it has `encodeInto`) and `TextDecoder`, each where the host has its own. */
export function hostText(host: Host | undefined = hostObject()): HostText {
  let encoder: HostEncoder | undefined;
  let decoder: HostDecoder | undefined;
  const Encoder = host?.TextEncoder;
  const Decoder = host?.TextDecoder;
  try {
    if (typeof Encoder === 'function' && !isStandIn(Encoder)) {
      const made = new (Encoder as new () => Partial<HostEncoder>)();
      if (typeof made.encodeInto === 'function') encoder = made as HostEncoder;
    }
    if (typeof Decoder === 'function' && !isStandIn(Decoder)) {
      decoder = new (Decoder as new (label: string, options: { ignoreBOM: boolean }) => HostDecoder)('utf-8', { ignoreBOM: true });
    }
  } catch {
    // A codec that cannot be made as the standard says is treated as none.
  }
  return { encoder, decoder };
}
