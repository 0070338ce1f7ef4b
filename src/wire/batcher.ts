import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { MessageBuilder } from './codec';

/**
 * Coalesces the frames sent within one turn (or within `flushMs`) into one WebSocket message, up to `maxBatchBytes`:
 * on WeChat every `SocketTask.send` crosses to native code, so one send per batch is the cheap way.
 */
export class Batcher {
  private readonly builder: MessageBuilder;
  private readonly timer: Timer;
  /** Topics of the batched frames whose loss must be reported; control and RELIABLE frames (kept for retransmission) have none. */
  private topics: string[] = [];
  private microtaskPending = false;

  constructor(
    clock: Clock,
    maxFrameBytes: number,
    private readonly maxBatchBytes: number,
    private readonly flushMs: number,
    private readonly transmit: (data: ArrayBuffer, frames: number, topics: readonly string[]) => void,
  ) {
    // The builder's budget is the largest message the peer accepts: one frame bigger than a batch still goes, alone.
    this.builder = new MessageBuilder(maxFrameBytes);
    this.timer = new Timer(clock, () => this.flush());
  }

  /** True while a flush is scheduled. */
  get armed(): boolean {
    return this.timer.armed || this.microtaskPending;
  }

  /** Adds one encoded frame (copied); flushes first if it would overflow the batch. `topic` is reported if it is lost. */
  add(frame: Uint8Array, topic: string | undefined): void {
    if (this.builder.byteLength > 0 && this.builder.byteLength + frame.byteLength > this.maxBatchBytes) this.flush();
    this.builder.add(frame);
    if (topic !== undefined) this.topics.push(topic);
    if (this.builder.byteLength >= this.maxBatchBytes) {
      this.flush();
      return;
    }
    this.schedule();
  }

  /** Sends what is batched now, as one message. */
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
    if (this.microtaskPending) return;
    this.microtaskPending = true;
    // End of the current turn: every send made synchronously before it shares one message.
    void Promise.resolve().then(() => {
      this.microtaskPending = false;
      this.flush();
    });
  }
}
