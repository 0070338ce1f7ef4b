import type { Clock } from '../time/clock';
import type { FrameCodec } from '../wire/codec';
import { Op, type Welcome } from '../wire/protocol';
import { type ReceiveVerdict, ReliableReceiver, type ReliableOptions, ReliableSender } from './reliable';
import { renumbered } from './seq-splice';

/** How a WELCOME left the session. */
export interface WelcomeOutcome {
  /** The server still held the session: nothing was lost. */
  resumed: boolean;
  /** The session that was lost, when a previous one existed and did not resume. */
  lostSession: string | undefined;
}

/**
 * A channel's side of one protocol session (PROTOCOL.md section 5): its id, RELIABLE messages out (kept until
 * acknowledged) and in (delivered once, in order), and what to do on HELLO and WELCOME so that a reconnect resumes
 * exactly where the last connection stopped, or starts a new session and says so.
 */
export class ClientSession {
  private id: string | undefined;
  private readonly out: ReliableSender;
  private readonly in: ReliableReceiver;
  private readonly waiting = new Set<(error: Error) => void>();
  /** A session given up on (see {@link forget}): the next WELCOME reports it as lost. */
  private forgotten: string | undefined;

  constructor(
    clock: Clock,
    options: Readonly<ReliableOptions>,
    private readonly codec: FrameCodec,
    /** Hands an encoded frame to the connection's batch when one is live; returns false when none is. */
    private readonly transmit: (frame: Uint8Array) => boolean,
  ) {
    this.out = new ReliableSender(options);
    this.in = new ReliableReceiver(clock, options, (recv) => {
      // Only on a live connection: otherwise `recv` travels in the next HELLO.
      this.transmit(this.codec.encodeShared([Op.Ack, recv]).slice());
    });
  }

  /** The session id from the last WELCOME. */
  get sessionId(): string | undefined {
    return this.id;
  }

  get stats(): { unacked: number; unackedBytes: number; recv: number } {
    return { unacked: this.out.unacked, unackedBytes: this.out.unackedBytes, recv: this.in.recv };
  }

  /** HELLO's resume fields: the session to resume and the last seq delivered from it. */
  helloFields(): { session?: string; recv?: number } {
    return this.id === undefined ? {} : { session: this.id, recv: this.in.recv };
  }

  /**
   * Applies a WELCOME. Resumed: the server's `recv` acknowledges, and what it lacks is sent again, in order. Not
   * resumed: numbering restarts and every unacknowledged message is sent again, renumbered, before anything new.
   */
  welcome(welcome: Welcome): WelcomeOutcome {
    const previous = this.id ?? this.forgotten;
    this.forgotten = undefined;
    const resumed = welcome.resumed && welcome.session === previous;
    this.id = welcome.session;
    if (resumed) {
      this.out.ack(welcome.recv);
      for (const message of this.out.after(welcome.recv)) this.transmit(message.frame);
      return { resumed, lostSession: undefined };
    }
    this.in.reset();
    // What the lost session's server had applied is acknowledged, not sent again (WELCOME previousRecv).
    if (previous !== undefined && welcome.previousRecv !== undefined) this.out.ack(welcome.previousRecv);
    for (const message of this.out.reset()) {
      // Renumbered in the bytes first sent: the application may have changed the payload object since. A new seq is
      // never wider than the old one (seqs restart at 1), so the frame still fits every limit it did.
      const frame = renumbered(message.frame, this.out.reserve(0));
      this.out.commit(message.topic, frame, message.onAcked);
      this.transmit(frame);
    }
    return { resumed, lostSession: previous };
  }

  /**
   * Why a WELCOME that claims to resume cannot be trusted, or undefined when it can: its `recv` is below what the
   * server already acknowledged, so the frames in between are gone from this side and cannot be sent again.
   */
  resumeProblem(welcome: Welcome): string | undefined {
    if (!welcome.resumed || welcome.session !== this.id || welcome.recv >= this.out.acknowledged) return undefined;
    return `WELCOME resumed with recv ${welcome.recv}, below seq ${this.out.acknowledged} the server had acknowledged`;
  }

  /** Gives up on the current session: the next HELLO starts a new one, and its WELCOME reports this one as lost. */
  forget(): void {
    if (this.id !== undefined) this.forgotten = this.id;
    this.id = undefined;
  }

  /**
   * Keeps and (when live) sends a RELIABLE message; resolves when acknowledged.
   * @throws {UsageError} (synchronously) for a payload that cannot be encoded.
   */
  send(topic: string, payload: unknown): Promise<void> {
    const frame = this.codec.encodeShared([Op.Reliable, this.out.nextSeq, topic, payload]).slice();
    return new Promise<void>((resolve, reject) => {
      try {
        this.out.reserve(frame.byteLength);
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.waiting.add(reject);
      // The frame's bytes are what is kept (and re-sent): not the application's payload object.
      this.out.commit(topic, frame, () => {
        this.waiting.delete(reject);
        resolve();
      });
      this.transmit(frame);
    });
  }

  /**
   * Judges an arriving RELIABLE frame.
   * @throws {ProtocolError} for a gap in the numbering.
   */
  receive(seq: number): ReceiveVerdict {
    return this.in.accept(seq);
  }

  /** An ACK arrived. */
  acknowledged(seq: number): void {
    this.out.ack(seq);
  }

  /** Sends the pending ACK now (before a clean close). */
  flushAck(): void {
    this.in.flushAck();
  }

  /** The connection is gone: stop the ACK timer (`recv` goes in the next HELLO). */
  pause(): void {
    this.in.pause();
  }

  /** The channel closed: every message still waiting for its acknowledgement is rejected with `error`. */
  close(error: () => Error): void {
    this.in.pause();
    // Nothing can be sent any more: the kept frames are released with their promises.
    this.out.reset();
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const reject of waiting) reject(error());
  }
}
