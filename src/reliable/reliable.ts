import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { ProtocolErrorCode } from '../codes';
import { ProtocolError, QueueFullError } from '../errors';

/** Reliable delivery settings (PROTOCOL.md section 5); the same on client and server. */
export interface ReliableOptions {
  /** Most unacknowledged RELIABLE messages kept for retransmission. Default 1,000. */
  maxUnacked: number;
  /** Most bytes of unacknowledged RELIABLE frames kept. Default 1 MiB. */
  maxUnackedBytes: number;
  /** Acknowledge at least every this many delivered messages. Default 32. */
  ackEvery: number;
  /** ...or this long after the first unacknowledged delivery, ms. Default 200. */
  ackDelayMs: number;
}

/** Defaults of {@link ReliableOptions}. */
export const DEFAULT_RELIABLE: Readonly<ReliableOptions> = Object.freeze({
  maxUnacked: 1000,
  maxUnackedBytes: 1024 * 1024,
  ackEvery: 32,
  ackDelayMs: 200,
});

/** One RELIABLE message kept until the peer acknowledges it. */
export interface UnackedMessage {
  readonly seq: number;
  readonly topic: string;
  /** The encoded RELIABLE frame, sent again as is when a session resumes. */
  readonly frame: Uint8Array;
  /** Called once when an ACK covers this message. */
  readonly onAcked?: () => void;
}

/**
 * The sending half of one direction of a session: numbers RELIABLE messages from 1, keeps each until a cumulative
 * ACK covers it, and refuses (never drops) when its bounded buffer is full.
 */
export class ReliableSender {
  // Protected for the server's RestorableSender, which refills a sender from a session store.
  protected queue: UnackedMessage[] = [];
  private head = 0;
  protected bytes = 0;
  protected next = 1;
  protected released = 0;

  constructor(private readonly options: Readonly<ReliableOptions>) {}

  /** The highest seq an ACK has released (0 before any): the peer is known to hold everything up to it. */
  get acknowledged(): number {
    return this.released;
  }

  /** The seq the next message will get. */
  get nextSeq(): number {
    return this.next;
  }

  /** Messages waiting for an ACK. */
  get unacked(): number {
    return this.queue.length - this.head;
  }

  get unackedBytes(): number {
    return this.bytes;
  }

  /**
   * Checks there is room for a frame of `size` bytes.
   * @throws {QueueFullError} when the buffer is full by count or bytes.
   */
  reserve(size: number): number {
    if (this.unacked >= this.options.maxUnacked || this.bytes + size > this.options.maxUnackedBytes) {
      throw new QueueFullError(
        `${this.unacked} reliable messages (${this.bytes} bytes) await acknowledgement; the limit is ${this.options.maxUnacked} messages / ${this.options.maxUnackedBytes} bytes`,
      );
    }
    return this.next;
  }

  /** Keeps the message numbered by the last {@link reserve}. */
  commit(topic: string, frame: Uint8Array, onAcked?: () => void): UnackedMessage {
    const message: UnackedMessage = { seq: this.next++, topic, frame, onAcked };
    this.queue.push(message);
    this.bytes += frame.byteLength;
    return message;
  }

  /** A cumulative ACK: forgets every message with `seq <= upTo`. Returns how many were released. */
  ack(upTo: number): number {
    let released = 0;
    const done: UnackedMessage[] = [];
    while (this.head < this.queue.length && (this.queue[this.head] as UnackedMessage).seq <= upTo) {
      const message = this.queue[this.head] as UnackedMessage;
      this.bytes -= message.frame.byteLength;
      this.queue[this.head] = undefined as unknown as UnackedMessage;
      this.head++;
      released++;
      this.released = message.seq;
      if (message.onAcked) done.push(message);
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    for (const message of done) message.onAcked?.();
    return released;
  }

  /** What the peer lacks, in order: every kept message with `seq > recv`. */
  after(recv: number): UnackedMessage[] {
    const out: UnackedMessage[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const message = this.queue[i] as UnackedMessage;
      if (message.seq > recv) out.push(message);
    }
    return out;
  }

  /** A new session: numbering restarts at 1 and the unacknowledged messages are handed back, in order, to be re-sent. */
  reset(): UnackedMessage[] {
    const left = this.after(0);
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    this.next = 1;
    this.released = 0;
    return left;
  }
}

/** What to do with an arriving RELIABLE frame. */
export type ReceiveVerdict = 'deliver' | 'duplicate';

/**
 * The receiving half of one direction of a session: delivers each `seq` once and in order, drops duplicates, and
 * acknowledges cumulatively every `ackEvery` deliveries or `ackDelayMs` after the first unacknowledged one.
 */
export class ReliableReceiver {
  // Protected for the server's RestorableReceiver, which sets `recv` from a session store.
  protected delivered = 0;
  protected acked = 0;
  private readonly timer: Timer;

  constructor(
    clock: Clock,
    private readonly options: Readonly<ReliableOptions>,
    /** Sends `ACK [9, recv]`. */
    private readonly sendAck: (recv: number) => void,
  ) {
    this.timer = new Timer(clock, () => this.flushAck());
  }

  /** The last `seq` delivered: the `recv` of HELLO and WELCOME. */
  get recv(): number {
    return this.delivered;
  }

  /**
   * Judges an arriving frame. A `deliver` verdict advances `recv` (the caller then delivers it).
   * @throws {ProtocolError} `bad_frame` for a gap: the sender skipped a number, which the protocol never does.
   */
  accept(seq: number): ReceiveVerdict {
    if (seq <= this.delivered) {
      // Acknowledge again: the sender evidently missed our ACK.
      this.scheduleAck(true);
      return 'duplicate';
    }
    if (seq !== this.delivered + 1) {
      throw new ProtocolError(ProtocolErrorCode.BadFrame, `RELIABLE seq ${seq} skips ahead of ${this.delivered + 1}`);
    }
    this.delivered = seq;
    this.scheduleAck(false);
    return 'deliver';
  }

  /** Sends any pending ACK now (before closing, say). */
  flushAck(): void {
    this.timer.cancel();
    if (this.delivered > this.acked) {
      this.acked = this.delivered;
      this.sendAck(this.delivered);
    } else if (this.resend) {
      this.sendAck(this.delivered);
    }
    this.resend = false;
  }

  /** Stops the ACK timer (the connection is gone; a resume will carry `recv` in HELLO/WELCOME instead). */
  pause(): void {
    this.timer.cancel();
    // What the peer has not seen acknowledged it will learn from `recv` on resume.
    this.acked = this.delivered;
    this.resend = false;
  }

  /** A new session: counting restarts at 0. */
  reset(): void {
    this.pause();
    this.delivered = 0;
    this.acked = 0;
  }

  private resend = false;

  private scheduleAck(duplicate: boolean): void {
    if (duplicate) this.resend = true;
    if (this.delivered - this.acked >= this.options.ackEvery) {
      this.flushAck();
      return;
    }
    if (!this.timer.armed) this.timer.schedule(this.options.ackDelayMs);
  }
}
