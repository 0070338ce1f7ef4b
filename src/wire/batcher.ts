import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { MessageBuilder } from './codec';

/** Runs `run` once the current turn is over; returns what cancels it. */
export type EndOfTurn = (run: () => void) => () => void;

/** The default end of a turn: a microtask, which every host (a mini-game included) has. */
const microtask: EndOfTurn = (run) => {
  let live = true;
  void Promise.resolve().then(() => {
    if (live) run();
  });
  return () => {
    live = false;
  };
};

/** Optional settings of a {@link Batcher}. */
export interface BatcherOptions {
  /** When a batch with `flushMs` 0 goes out. Default: a microtask; the Node server waits for `setImmediate`, after I/O. */
  endOfTurn: EndOfTurn;
  /** The batch buffer's first size in bytes; it grows as needed. Default 4096. */
  initialBytes: number;
}

/**
 * Coalesces the frames sent within one turn (or within `flushMs`) into one WebSocket message, up to `maxBatchBytes`,
 * on both sides: on WeChat every `SocketTask.send` crosses to native code, and every `onMessage` back, so the client
 * and the server each pay per message, not per frame. A burst leaves as several messages of about `maxBatchBytes`,
 * so the receiver decodes it in slices. Every message is an ArrayBuffer of exactly its length, never a view.
 */
export class Batcher {
  private readonly builder: MessageBuilder;
  private readonly timer: Timer;
  /** Topics of the batched frames whose loss must be reported; control and RELIABLE frames (kept for retransmission) have none. */
  private topics: string[] = [];
  private cancelTurn: (() => void) | undefined;
  private readonly endOfTurn: EndOfTurn;

  constructor(
    clock: Clock,
    maxFrameBytes: number,
    private readonly maxBatchBytes: number,
    private readonly flushMs: number,
    private readonly transmit: (data: ArrayBuffer, frames: number, topics: readonly string[]) => void,
    options: Readonly<Partial<BatcherOptions>> = {},
  ) {
    // The builder's budget is the largest message the peer accepts: one frame bigger than a batch still goes, alone.
    this.builder = new MessageBuilder(maxFrameBytes, options.initialBytes);
    this.endOfTurn = options.endOfTurn ?? microtask;
    this.timer = new Timer(clock, () => this.flush());
  }

  /** True while a flush is scheduled. */
  get armed(): boolean {
    return this.timer.armed || this.cancelTurn !== undefined;
  }

  /**
   * Adds one encoded frame (copied at once, so a codec's shared buffer may be reused right after); flushes first if it
   * would overflow the batch. `topic` is reported if it is lost.
   */
  add(frame: Uint8Array, topic?: string): void {
    if (this.builder.byteLength > 0 && this.builder.byteLength + frame.byteLength > this.maxBatchBytes) this.flush();
    this.builder.add(frame);
    if (topic !== undefined) this.topics.push(topic);
    if (this.builder.byteLength >= this.maxBatchBytes) {
      this.flush();
      return;
    }
    this.schedule();
  }

  /**
   * Sends what is batched now, as one message. A scheduled end of turn stays scheduled (it finds nothing and does
   * nothing): cancelling and re-arming it for every inbound message would cost more than the message on a busy socket.
   */
  flush(): void {
    this.timer.cancel();
    if (this.builder.frameCount === 0) return;
    const frames = this.builder.frameCount;
    const topics = this.topics;
    this.topics = [];
    this.transmit(this.builder.take(), frames, topics);
  }

  /** Throws away what is batched (the connection dropped); returns the topics of the reportable frames that never left. */
  discard(): string[] {
    this.timer.cancel();
    this.cancelTurn?.();
    this.cancelTurn = undefined;
    const topics = this.topics;
    this.topics = [];
    if (this.builder.frameCount > 0) this.builder.take();
    return topics;
  }

  private schedule(): void {
    if (this.flushMs > 0) {
      if (!this.timer.armed) this.timer.schedule(this.flushMs);
      return;
    }
    if (this.cancelTurn) return;
    // End of the current turn: every send made synchronously before it shares one message.
    this.cancelTurn = this.endOfTurn(() => {
      this.cancelTurn = undefined;
      this.flush();
    });
  }
}
