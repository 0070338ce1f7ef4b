import { ProtocolErrorCode } from './codes';
import { withDefaults } from './defaults';
import { ProtocolError } from './errors';

/** Decode limits. Every length is checked before anything is allocated, so a small message cannot make a large value. */
export interface CodecLimits {
  /** Largest WebSocket message accepted, and largest one ever sent (a batch never exceeds it). Default 1 MiB. */
  maxFrameBytes: number;
  /** Longest string, in UTF-8 bytes. Default 1 MiB. */
  maxStringBytes: number;
  /** Longest binary value, in bytes. Default 1 MiB. */
  maxBinaryBytes: number;
  /** Most elements in one array. Default 100,000. */
  maxArrayLength: number;
  /** Most entries in one map. Default 10,000. */
  maxMapLength: number;
  /** Longest ext payload, in bytes. Default 1 MiB. */
  maxExtBytes: number;
  /** Deepest nesting of arrays and maps, the frame's own array counting as 1. Default 32. */
  maxDepth: number;
}

const MiB = 1024 * 1024;

/** The defaults of {@link CodecLimits}. */
export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxFrameBytes: MiB,
  maxStringBytes: MiB,
  maxBinaryBytes: MiB,
  maxArrayLength: 100_000,
  maxMapLength: 10_000,
  maxExtBytes: MiB,
  maxDepth: 32,
});

/**
 * Resolves partial limits against the defaults, once.
 * @throws {RangeError} naming the limit when one is not a positive integer.
 */
export function resolveLimits(partial: Readonly<Partial<CodecLimits>> = {}): Readonly<CodecLimits> {
  const limits = withDefaults(DEFAULT_CODEC_LIMITS, partial);
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`codec limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}

function truncated(at: number): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Malformed, `message truncated or malformed at byte ${at}`);
}

function over(what: string, size: number, limit: number): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.LimitExceeded, `${what} ${size} exceeds the limit of ${limit}`);
}

/**
 * Walks a msgpack stream's headers without decoding values and checks it against the limits: every declared length
 * within its limit and within the bytes that remain (an allocation bomb is refused before msgpack allocates), nesting
 * within `maxDepth`, and every top-level value an array (a frame). Returns the number of frames.
 * @throws {ProtocolError} `malformed`, `limit_exceeded` or `unknown_op`.
 */
export class StreamScanner {
  private readonly remaining: Int32Array;
  private readonly view: { bytes: Uint8Array } = { bytes: new Uint8Array(0) };

  constructor(private readonly limits: Readonly<CodecLimits>) {
    this.remaining = new Int32Array(limits.maxDepth + 1);
  }

  scan(bytes: Uint8Array): number {
    this.view.bytes = bytes;
    const end = bytes.length;
    const limits = this.limits;
    const remaining = this.remaining;
    let pos = 0;
    let frames = 0;
    while (pos < end) {
      const head = bytes[pos] as number;
      if (!((head >= 0x90 && head <= 0x9f) || head === 0xdc || head === 0xdd)) {
        throw new ProtocolError(ProtocolErrorCode.UnknownOp, `a frame must be a msgpack array (byte ${pos} is 0x${hex(head)})`);
      }
      frames++;
      // One top-level value: an explicit stack of "values still to read" per open container.
      let depth = 0;
      remaining[0] = 1;
      for (;;) {
        if (remaining[depth] === 0) {
          if (depth === 0) break;
          depth--;
          continue;
        }
        (remaining[depth] as number)--;
        if (pos >= end) throw truncated(pos);
        const b = bytes[pos] as number;
        let size = -1; // container children, or -1 for a scalar
        let skip = 0; // bytes after the header for a scalar
        let headerLen = 1;
        if (b <= 0x7f || b >= 0xe0) {
          // fixint
        } else if (b <= 0x8f) {
          size = (b & 0x0f) * 2;
          if (size / 2 > limits.maxMapLength) throw over('map length', size / 2, limits.maxMapLength);
        } else if (b <= 0x9f) {
          size = b & 0x0f;
          if (size > limits.maxArrayLength) throw over('array length', size, limits.maxArrayLength);
        } else if (b <= 0xbf) {
          skip = b & 0x1f;
          if (skip > limits.maxStringBytes) throw over('string bytes', skip, limits.maxStringBytes);
        } else {
          switch (b) {
            case 0xc0:
            case 0xc2:
            case 0xc3:
              break;
            case 0xc1:
              throw new ProtocolError(ProtocolErrorCode.Malformed, `byte 0xc1 at ${pos} is never used in msgpack`);
            case 0xc4:
            case 0xc5:
            case 0xc6:
              headerLen = 1 + (1 << (b - 0xc4));
              skip = this.readLength(pos + 1, headerLen - 1, end);
              if (skip > limits.maxBinaryBytes) throw over('binary bytes', skip, limits.maxBinaryBytes);
              break;
            case 0xc7:
            case 0xc8:
            case 0xc9:
              headerLen = 2 + (1 << (b - 0xc7));
              skip = this.readLength(pos + 1, headerLen - 2, end);
              if (skip > limits.maxExtBytes) throw over('ext bytes', skip, limits.maxExtBytes);
              break;
            case 0xca:
              skip = 4;
              break;
            case 0xcb:
              skip = 8;
              break;
            case 0xcc:
            case 0xd0:
              skip = 1;
              break;
            case 0xcd:
            case 0xd1:
              skip = 2;
              break;
            case 0xce:
            case 0xd2:
              skip = 4;
              break;
            case 0xcf:
            case 0xd3:
              skip = 8;
              break;
            case 0xd4:
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
              // fixext 1/2/4/8/16: a type byte then the data
              skip = 1 + (1 << (b - 0xd4));
              if (skip - 1 > limits.maxExtBytes) throw over('ext bytes', skip - 1, limits.maxExtBytes);
              break;
            case 0xd9:
            case 0xda:
            case 0xdb:
              headerLen = 1 + (1 << (b - 0xd9));
              skip = this.readLength(pos + 1, headerLen - 1, end);
              if (skip > limits.maxStringBytes) throw over('string bytes', skip, limits.maxStringBytes);
              break;
            case 0xdc:
            case 0xdd:
              headerLen = b === 0xdc ? 3 : 5;
              size = this.readLength(pos + 1, headerLen - 1, end);
              if (size > limits.maxArrayLength) throw over('array length', size, limits.maxArrayLength);
              break;
            case 0xde:
            case 0xdf: {
              headerLen = b === 0xde ? 3 : 5;
              const entries = this.readLength(pos + 1, headerLen - 1, end);
              if (entries > limits.maxMapLength) throw over('map length', entries, limits.maxMapLength);
              size = entries * 2;
              break;
            }
          }
        }
        if (size >= 0) {
          pos += headerLen;
          // Each child takes at least one byte: a count larger than what is left is a lie, refused before allocating.
          if (size > end - pos) throw truncated(pos);
          if (depth + 1 > limits.maxDepth) throw over('nesting depth', depth + 1, limits.maxDepth);
          remaining[++depth] = size;
        } else {
          pos += headerLen + skip;
          if (pos > end) throw truncated(end);
        }
      }
    }
    return frames;
  }

  private readLength(at: number, width: number, end: number): number {
    const bytes = this.view.bytes;
    if (at + width > end) throw truncated(end);
    if (width === 1) return bytes[at] as number;
    if (width === 2) return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    return (
      (bytes[at] as number) * 0x1000000 +
      (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
    );
  }
}

function hex(byte: number): string {
  return (byte < 16 ? '0' : '') + byte.toString(16);
}
