import { withDefaults } from '../defaults';

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
