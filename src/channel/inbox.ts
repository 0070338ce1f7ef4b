import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import type { WireData } from '../wire/codec';
import type { Frame } from '../wire/protocol';

/** Decodes a queued message into its frames, or reports why it cannot and returns undefined (it is then skipped). */
export type InboxDecode = (data: WireData) => readonly Frame[] | undefined;

const NONE: readonly Frame[] = [];

/**
 * The frames a channel has received but not yet handled. One turn handles frames for at most `turnMs` (judged on the
 * clock after each frame) and leaves the rest to the next turns (`clock.setTimeout(0)`): every socket's messages
 * arrive on the same JavaScript thread, so a channel that handles a burst of 500 chat messages in one go holds up the
 * game channel's next state for as long. Frames are handled in arrival order, whichever turn they arrive in.
 *
 * A message that arrives while frames wait ({@link addMessage}) is queued undecoded and decoded when a turn reaches
 * it, inside that turn's budget: a burst arrives as several 64 KiB messages read from the socket back to back, and
 * decoding each on arrival would hold the thread (and every other socket's messages) for all of them at once.
 */
export class Inbox {
  /** Messages not decoded yet; a handled slot is emptied so the queue does not keep its bytes alive. */
  private queue: (WireData | undefined)[] = [];
  private head = 0;
  /** The frames of the message decoded last, handled before the queue: a turn may end in the middle of them. */
  private current: readonly Frame[] = NONE;
  private next = 0;
  /** Bumped by {@link clear}: a drain in progress stops before the next frame. */
  private epoch = 0;
  private draining = false;
  private readonly timer: Timer;

  constructor(
    private readonly clock: Clock,
    /** Longest one turn spends handling frames, ms; Infinity handles every frame at once. */
    private readonly turnMs: number,
    private readonly handle: (frame: Frame) => void,
    private readonly decode: InboxDecode,
  ) {
    this.timer = new Timer(clock, () => {
      if (!this.draining) this.drain(this.turnMs);
    });
  }

  /** Frames waiting for a later turn (a message not decoded yet counts as one). */
  get size(): number {
    return this.queue.length - this.head + this.current.length - this.next;
  }

  /** True while frames wait for a later turn. */
  get armed(): boolean {
    return this.timer.armed;
  }

  /** Takes one message undecoded: decoded at once when nothing waits, else when a turn reaches it. */
  addMessage(data: WireData): void {
    this.queue.push(data);
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
    this.current = NONE;
    this.next = 0;
  }

  private drain(turnMs: number): void {
    this.timer.cancel();
    const epoch = this.epoch;
    const until = turnMs === Infinity ? Infinity : this.clock.now() + turnMs;
    this.draining = true;
    try {
      while (epoch === this.epoch) {
        if (this.next < this.current.length) {
          this.handle(this.current[this.next++] as Frame);
        } else if (this.head < this.queue.length) {
          const data = this.queue[this.head] as WireData;
          this.queue[this.head++] = undefined;
          // Decoding is work of this turn like handling: the budget is checked after it too.
          const frames = this.decode(data);
          if (epoch !== this.epoch) break;
          this.current = frames ?? NONE;
          this.next = 0;
        } else {
          break;
        }
        if (until !== Infinity && this.clock.now() >= until) break;
      }
    } finally {
      this.draining = false;
      if (epoch === this.epoch) this.settle();
    }
  }

  /** Arms the next turn for what is left, or starts the queue afresh when nothing is. */
  private settle(): void {
    if (this.next === this.current.length && this.next > 0) {
      this.current = NONE;
      this.next = 0;
    }
    if (this.head === this.queue.length && this.next === this.current.length) {
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
