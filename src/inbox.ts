import { type Clock, Timer } from './clock';
import type { Frame } from './protocol';

/**
 * The frames a channel has received but not yet handled. One turn handles frames for at most `turnMs` (judged on the
 * clock after each frame) and leaves the rest to the next turns (`clock.setTimeout(0)`): every socket's messages
 * arrive on the same JavaScript thread, so a channel that handles a burst of 500 chat messages in one go holds up the
 * game channel's next state for as long. Frames are handled in arrival order, whichever turn they arrive in.
 */
export class Inbox {
  private queue: Frame[] = [];
  private head = 0;
  /** Bumped by {@link clear}: a drain in progress stops before the next frame. */
  private epoch = 0;
  private draining = false;
  private readonly timer: Timer;

  constructor(
    private readonly clock: Clock,
    /** Longest one turn spends handling frames, ms; Infinity handles every frame at once. */
    private readonly turnMs: number,
    private readonly handle: (frame: Frame) => void,
  ) {
    this.timer = new Timer(clock, () => {
      if (!this.draining) this.drain(this.turnMs);
    });
  }

  /** Frames waiting for a later turn. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** True while frames wait for a later turn. */
  get armed(): boolean {
    return this.timer.armed;
  }

  /** Takes one message's frames and handles as many as this turn allows. */
  add(frames: readonly Frame[]): void {
    for (const frame of frames) this.queue.push(frame);
    // Behind frames that already wait (or inside a drain) the queue alone keeps the order.
    if (!this.draining && !this.timer.armed) this.drain(this.turnMs);
  }

  /** Handles every waiting frame now: the socket closed, and what it delivered before comes first. */
  flush(): void {
    if (!this.draining) this.drain(Infinity);
  }

  /** Drops every waiting frame: the connection they came on is gone. */
  clear(): void {
    this.epoch++;
    this.timer.cancel();
    this.queue = [];
    this.head = 0;
  }

  private drain(turnMs: number): void {
    this.timer.cancel();
    const epoch = this.epoch;
    const until = turnMs === Infinity ? Infinity : this.clock.now() + turnMs;
    this.draining = true;
    try {
      while (this.head < this.queue.length && epoch === this.epoch) {
        const frame = this.queue[this.head] as Frame;
        this.queue[this.head++] = undefined as unknown as Frame;
        this.handle(frame);
        if (until !== Infinity && this.clock.now() >= until) break;
      }
    } finally {
      this.draining = false;
      if (epoch === this.epoch) this.settle();
    }
  }

  /** Arms the next turn for what is left, or starts the queue afresh when nothing is. */
  private settle(): void {
    if (this.head === this.queue.length) {
      // Emptied in place: the common case (every frame handled in its turn) allocates nothing per message.
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.timer.schedule(0);
  }
}
