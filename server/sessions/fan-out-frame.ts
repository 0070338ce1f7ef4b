import type { FrameCodec } from '../../src/wire/codec';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { afterSeq, RELIABLE_HEAD, spliceSeq, uintWidth } from '../../src/reliable/seq-splice';

/**
 * A RELIABLE frame encoded once and numbered per recipient. Every session numbers its own messages, so a room
 * message fanned out to a thousand members differs only in `seq`: the topic and payload are encoded once with seq 0
 * (`94 08 00 <topic> <payload>`), and each copy splices in its seq in msgpack's smallest uint width, byte for byte what
 * the codec would have produced for the whole frame.
 */
export class FanOutFrame {
  /** The encoded topic and payload: everything after the seq. */
  private readonly tail: Uint8Array;

  /**
   * @param maxKeptBytes the session buffer's byte limit (`reliable.maxUnackedBytes`): a frame larger than a whole
   * empty buffer could never be kept, which is the caller's mistake, not an overflow.
   * @throws {UsageError} `payload_too_large` when the frame, with any seq, would exceed `maxFrameBytes` or
   * `maxKeptBytes`; `unencodable` as {@link FrameCodec.encodeShared}.
   */
  constructor(codec: FrameCodec, readonly topic: string, payload: unknown, maxKeptBytes: number) {
    // A copy: the codec's shared buffer is reused by its next call.
    this.tail = afterSeq(codec.encodeShared([Op.Reliable, 0, topic, payload])).slice();
    // Checked for the widest seq once, so that numbering never fails halfway through a fan-out.
    const largest = this.sizeFor(Number.MAX_SAFE_INTEGER);
    const { maxFrameBytes } = codec.limits;
    if (largest > maxFrameBytes || largest > maxKeptBytes) {
      throw new UsageError(
        UsageErrorCode.PayloadTooLarge,
        `a RELIABLE frame of up to ${largest} bytes exceeds maxFrameBytes ${maxFrameBytes} or reliable.maxUnackedBytes ${maxKeptBytes}`,
      );
    }
  }

  /** The byte length of the frame numbered `seq`. */
  sizeFor(seq: number): number {
    return RELIABLE_HEAD.length + uintWidth(seq) + this.tail.byteLength;
  }

  /** The frame numbered `seq`, in a buffer of its own (it is kept until acknowledged). */
  numbered(seq: number): Uint8Array {
    return spliceSeq(this.tail, seq);
  }
}
