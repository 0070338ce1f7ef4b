import { MessageBuilder } from '../../src/wire/codec';

/**
 * Batches the frames one connection produces in a turn into as few WebSocket messages as the byte budget allows:
 * the client pays per message (each `onMessage` crosses the mini-game's native bridge), not per frame. Whatever is
 * still queued goes out on `setImmediate`, or at once on {@link flush}. Every message is an ArrayBuffer of exactly
 * its length, never a view.
 */
export class Outbox {
  private readonly builder: MessageBuilder;
  private immediate: NodeJS.Immediate | undefined;

  /**
   * @param maxFrameBytes the largest message the peer accepts (one frame may be that big).
   * @param batchBytes the size at which a batch is sent: a burst leaves as several messages of about this size, so
   * the client decodes it in slices and its other sockets' messages are handled in between.
   */
  constructor(maxFrameBytes: number, private readonly batchBytes: number, private readonly write: (message: ArrayBuffer) => void) {
    this.builder = new MessageBuilder(maxFrameBytes, Math.min(maxFrameBytes, 1024));
  }

  /** Queues one encoded frame (copied at once, so a codec's shared buffer may be reused right after). */
  add(frame: Uint8Array): void {
    if (this.builder.frameCount > 0 && this.builder.byteLength + frame.byteLength > this.batchBytes) this.flush();
    // A frame over maxFrameBytes never gets here: the codec refuses to encode it.
    this.builder.add(frame);
    if (this.builder.byteLength >= this.batchBytes) {
      this.flush();
      return;
    }
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.flush();
    });
  }

  /**
   * Sends what is queued now, as one message. A scheduled flush stays scheduled (it finds nothing and does nothing):
   * cancelling and re-arming it for every inbound message would cost more than the message itself on a busy socket.
   */
  flush(): void {
    if (this.builder.frameCount > 0) this.write(this.builder.take());
  }

  /** Drops what is queued, for a socket that is gone. */
  discard(): void {
    this.cancelTimer();
    if (this.builder.frameCount > 0) this.builder.take();
  }

  private cancelTimer(): void {
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
  }
}
