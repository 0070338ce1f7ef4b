import type { Frame } from '../../src/wire/protocol';

/**
 * What every connection of a server received and sent, as plain counters: frames by opcode (an index into the
 * arrays), WebSocket messages and their bytes. Incremented where the reader and the writer already handle each
 * message and frame, read only when someone asks (a `/metrics` scrape), so the hot path pays an array increment.
 */
export class Traffic {
  /** Frames received, by opcode: the index is the `Op`. */
  readonly framesIn: number[] = [];
  /** Frames sent, by opcode. */
  readonly framesOut: number[] = [];
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;

  /** One message read and admitted, carrying `frames`. */
  received(frames: readonly Frame[], bytes: number): void {
    this.messagesIn++;
    this.bytesIn += bytes;
    for (const frame of frames) this.framesIn[frame[0]] = (this.framesIn[frame[0]] ?? 0) + 1;
  }

  /** One frame queued to send, by its opcode. */
  frameSent(op: number): void {
    this.framesOut[op] = (this.framesOut[op] ?? 0) + 1;
  }

  /** One frame queued already encoded: its opcode is the first element of its msgpack array. */
  encodedSent(encoded: Uint8Array): void {
    const header = encoded[0] ?? 0;
    // Every frame is a short array: a fixarray header (0x90-0x9f), then the opcode as a positive fixint.
    if (header >= 0x90 && header <= 0x9f) this.frameSent(encoded[1] ?? 0);
  }

  /** One WebSocket message written to a socket. */
  messageSent(bytes: number): void {
    this.messagesOut++;
    this.bytesOut += bytes;
  }
}
