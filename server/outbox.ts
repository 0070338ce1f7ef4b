import { MessageBuilder } from '../src/codec';

/**
 * Batches the frames one connection produces in a turn into as few WebSocket messages as the byte budget allows:
 * the client pays per message (each `onMessage` crosses the mini-game's native bridge), not per frame. Whatever is
 * still queued goes out on `setImmediate`, or at once on {@link flush}. Every message is an ArrayBuffer of exactly
 * its length, never a view.
 */
export class Outbox {
  private readonly builder: MessageBuilder;
  private immediate: NodeJS.Immediate | undefined;

  constructor(maxBytes: number, private readonly write: (message: ArrayBuffer) => void) {
    this.builder = new MessageBuilder(maxBytes, Math.min(maxBytes, 1024));
  }

  /** Queues one encoded frame (copied at once, so a codec's shared buffer may be reused right after). */
  add(frame: Uint8Array): void {
    if (!this.builder.add(frame)) {
      this.flush();
      // A frame over the budget never gets here: the codec refuses to encode it.
      this.builder.add(frame);
    }
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.flush();
    });
  }

  /** Sends what is queued now, as one message. */
  flush(): void {
    this.cancelTimer();
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
