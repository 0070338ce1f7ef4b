import { ProtocolErrorCode, UsageErrorCode } from '../codes';
import { ProtocolError, UsageError } from '../errors';
import { type CodecLimits, resolveLimits } from './limits';
import { MsgpackDecoder } from './msgpack/decoder';
import { MsgpackEncoder } from './msgpack/encoder';
import { type Frame, validateFrame } from './protocol';

/** What a socket hands the runtime: binary as an ArrayBuffer (or a view, from Node), or text. */
export type WireData = ArrayBuffer | ArrayBufferView | string;

/**
 * Encodes frames to msgpack and decodes WebSocket messages into validated frames. One instance per channel (or per
 * server connection) reuses one encoder buffer, so the hot path allocates only its output. The msgpack codec is the
 * runtime's own (src/wire/msgpack/): it checks every limit while it decodes, in one pass, and needs no `TextEncoder`.
 */
export class FrameCodec {
  /** The resolved limits, shared by both directions so this side never sends what the peer would refuse. */
  readonly limits: Readonly<CodecLimits>;
  private readonly encoder: MsgpackEncoder;
  private readonly decoder: MsgpackDecoder;

  /** @throws {RangeError} when a limit is not a positive integer. */
  constructor(limits: Readonly<Partial<CodecLimits>> = {}) {
    this.limits = resolveLimits(limits);
    this.encoder = new MsgpackEncoder({ maxDepth: this.limits.maxDepth });
    this.decoder = new MsgpackDecoder(this.limits);
  }

  /**
   * Encodes one frame into the codec's shared buffer. The returned view is valid only until the next call: copy it
   * (a {@link MessageBuilder} does) before encoding again.
   * @throws {UsageError} `payload_too_large` over `maxFrameBytes`, `unencodable` for values msgpack cannot carry.
   */
  encodeShared(frame: Frame): Uint8Array {
    return checkSize(this.encoder.encodeSharedRef(frame), this.limits);
  }

  /**
   * Encodes frames back to back into one ArrayBuffer whose byteLength is exactly the encoded length.
   * @throws {UsageError} as {@link encodeShared}, or `payload_too_large` when the whole exceeds `maxFrameBytes`.
   */
  encode(...frames: Frame[]): ArrayBuffer {
    if (frames.length === 1) return this.encodeShared(frames[0] as Frame).slice().buffer;
    const builder = new MessageBuilder(this.limits.maxFrameBytes);
    for (const frame of frames) {
      if (!builder.add(this.encodeShared(frame))) {
        throw new UsageError(UsageErrorCode.PayloadTooLarge, `frames exceed maxFrameBytes ${this.limits.maxFrameBytes}`);
      }
    }
    return builder.take();
  }

  /**
   * Decodes one WebSocket message into its frames, all or nothing: if any frame is bad none is returned, so a message
   * cut or corrupted in the middle of a batch never delivers a partial frame.
   * @throws {ProtocolError} with a stable `code` for text, oversized, malformed, over-limit or invalid frames.
   */
  decode(data: WireData): Frame[] {
    if (typeof data === 'string') {
      throw new ProtocolError(ProtocolErrorCode.TextMessage, 'text messages are not part of the protocol; send binary');
    }
    const bytes = toBytes(data);
    if (bytes.byteLength > this.limits.maxFrameBytes) {
      throw new ProtocolError(
        ProtocolErrorCode.FrameTooLarge,
        `message of ${bytes.byteLength} bytes exceeds maxFrameBytes ${this.limits.maxFrameBytes}`,
      );
    }
    // An empty message is refused by the decoder (`malformed`, 'empty message').
    // Validated in place: the decoder's fresh array becomes the frames, with no second array per message.
    const frames = this.decoder.decodeAll(bytes);
    for (let i = 0; i < frames.length; i++) frames[i] = validateFrame(frames[i]);
    return frames as Frame[];
  }

  /** A summary without the shared buffers: they may still hold the bytes of the last message, secrets included. */
  toJSON(): { limits: Readonly<CodecLimits> } {
    return { limits: this.limits };
  }

  /** What `util.inspect` (console.log) shows in Node: the same summary. A registered symbol, so no Node type is needed. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `FrameCodec ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * Encodes one frame that carries a secret (HELLO and its token) with an encoder of its own, into an ArrayBuffer of
 * exactly its length: no shared buffer of a codec keeps the secret once the message is sent.
 * @throws {UsageError} as {@link FrameCodec.encodeShared}.
 */
export function encodeOnce(frame: Frame, limits: Readonly<CodecLimits>): ArrayBuffer {
  // A small frame: the host's TextEncoder would not pay for finding it.
  return checkSize(new MsgpackEncoder({ maxDepth: limits.maxDepth, textEncoder: null }).encodeSharedRef(frame), limits).slice().buffer;
}

function checkSize(bytes: Uint8Array, limits: Readonly<CodecLimits>): Uint8Array {
  if (bytes.byteLength > limits.maxFrameBytes) {
    throw new UsageError(UsageErrorCode.PayloadTooLarge, `encoded frame is ${bytes.byteLength} bytes, over maxFrameBytes ${limits.maxFrameBytes}`);
  }
  return bytes;
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * Collects encoded frames into one WebSocket message (frames back to back) up to a byte budget, reusing one
 * growing scratch buffer; `take()` returns an exact-length ArrayBuffer and starts over.
 */
export class MessageBuilder {
  private scratch: Uint8Array;
  private length = 0;
  private frames = 0;

  constructor(private readonly maxBytes: number, initialBytes = 4096) {
    this.scratch = new Uint8Array(Math.min(initialBytes, maxBytes));
  }

  /** Appends one encoded frame; returns false (and appends nothing) when it would exceed the budget. */
  add(frame: Uint8Array): boolean {
    const next = this.length + frame.byteLength;
    if (next > this.maxBytes) return false;
    if (next > this.scratch.byteLength) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(next, this.scratch.byteLength * 2)));
      grown.set(this.scratch.subarray(0, this.length));
      this.scratch = grown;
    }
    this.scratch.set(frame, this.length);
    this.length = next;
    this.frames++;
    return true;
  }

  get byteLength(): number {
    return this.length;
  }

  get frameCount(): number {
    return this.frames;
  }

  /** The message so far as an ArrayBuffer of exactly its length; the builder is empty afterwards. */
  take(): ArrayBuffer {
    const out = this.scratch.slice(0, this.length).buffer;
    this.length = 0;
    this.frames = 0;
    return out;
  }
}
