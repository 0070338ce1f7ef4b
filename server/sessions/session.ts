import { inspect } from 'node:util';
import type { Clock } from '../../src/time/clock';
import type { FrameCodec } from '../../src/wire/codec';
import { QueueFullError } from '../../src/errors';
import type { ReliableOptions, UnackedMessage } from '../../src/reliable/reliable';
import { validateTopic } from '../../src/routing/topics';
import { Deadline } from '../../src/time/deadline';
import { FanOutFrame } from './fan-out-frame';
import { followingClock } from './following-clock';
import { Departure } from './departure';
import { RestorableReceiver, RestorableSender } from './reliable-restore';
import { RestoredNotes } from './restored-notes';
import type { SessionJournal } from './journal';
import type { StoredSession } from './store';
import type { SendReliableOptions, ServerSession, SessionEndReason } from '../core/types';
import type { SessionLink } from './link';

/** What a session needs from the registry that owns it. */
export interface SessionOwner {
  readonly clock: Clock;
  readonly reliable: Readonly<ReliableOptions>;
  /** Encodes single sends; its shared buffer is copied before the next call. */
  readonly codec: FrameCodec;
  /** Frees the session: out of the store, timers released, `sessionEnd` emitted. */
  end(session: Session, reason: SessionEndReason): void;
}

/**
 * One client's session (PROTOCOL.md section 5): the server-to-client half of reliable delivery (a ReliableSender),
 * the client-to-server half (a ReliableReceiver, whose `recv` WELCOME reports), and the connection it is attached to
 * while the client is there. Between connections it waits for a resume until its expiry deadline.
 */
export class Session implements ServerSession {
  user: object | undefined;
  private link: SessionLink | undefined;
  private isEnded = false;
  private detachedAt = 0;
  private readonly sender: RestorableSender;
  private readonly receiver: RestorableReceiver;
  private readonly expiry: Deadline;
  /** Set when sessions are shared through a store: writes go through it and outputs wait for them. */
  private journal: SessionJournal | undefined;
  private restoredNotes: RestoredNotes | undefined;
  /** With a shared store: how it leaves this process (waiting for its handlers in flight, then given up). */
  private readonly departure = new Departure();

  constructor(
    readonly id: string,
    readonly publicId: string,
    readonly channel: string,
    user: object | undefined,
    private owner: SessionOwner,
  ) {
    this.user = user;
    this.sender = new RestorableSender(owner.reliable);
    // Timers run on the current owner's clock, so that a session kept across a server restart follows the new server.
    // No timer is armed while the session changes owner (see park), so no handle crosses from one clock to another.
    const clock = followingClock(() => this.owner.clock);
    // ACKs go to the connection attached when the timer fires; with a shared store, once the `recv` they report is durable.
    this.receiver = new RestorableReceiver(clock, owner.reliable, (recv) =>
      this.journal ? this.journal.after(() => this.link?.sendAck(recv)) : this.link?.sendAck(recv),
    );
    this.expiry = new Deadline(clock, () => this.owner.end(this, 'expired'));
  }

  get connection(): SessionLink | undefined {
    return this.link;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  get recv(): number {
    return this.receiver.recv;
  }

  /** The `recv` WELCOME reports: with a shared store, the durable one (the client re-sends the rest, dropped as duplicates). */
  get welcomeRecv(): number {
    return this.journal ? this.journal.durableRecv : this.receiver.recv;
  }

  /**
   * With a shared store: writes what a failed write left unstored (see {@link SessionJournal.repair}); true once the
   * store holds everything this copy does.
   */
  repair(): Promise<boolean> {
    return this.journal ? this.journal.repair() : Promise.resolve(true);
  }

  /**
   * With a shared store: another process asks for this session. Once its handlers in flight are done ({@link Departure}),
   * writes what this copy holds and gives it up ({@link SessionJournal.handOver}); true once given up (ended here, `moved`).
   */
  handOver(): Promise<boolean> {
    const journal = this.journal;
    return journal ? this.departure.handOver(this.owner.clock, () => this.isEnded, () => journal.handOver()) : Promise.resolve(true);
  }

  /** A handler still running (`work` settles when done): its session's departure waits for it (see {@link Departure}). */
  hold(work: PromiseLike<unknown>): void {
    if (this.journal && !this.isEnded) this.departure.hold(work);
  }

  /** Writes this session through `journal` from now on. */
  useJournal(journal: SessionJournal): void {
    this.journal = journal;
  }

  /** Refills a new session's buffers from the shared store (it moved here from another process). */
  restore(stored: StoredSession): void {
    this.sender.restore(stored.acked, stored.nextSeq, stored.frames);
    this.receiver.restore(stored.recv);
    this.restoredNotes = new RestoredNotes(stored.notes);
  }

  /**
   * With a shared store: keeps `value` under `key` with the session, written with this turn's frames ('' removes it).
   * A no-op once the session ended here: a closing server's last write carries it on to another process as it was, and
   * no `sessionEnd` listener's cleanup may change what it carries.
   */
  note(key: string, value: string): void {
    if (!this.isEnded) this.journal?.noted(key, value);
  }

  /**
   * The notes under `prefix` (keys without it) a session moved from another process came with, once per prefix: each
   * module takes its own (the chat `room:`, the game `game:`). Undefined for any other session, and after.
   */
  takeRestoredNotes(prefix: string): ReadonlyMap<string, string> | undefined {
    return this.restoredNotes?.take(prefix);
  }

  /** The last `seq` sent to the client (0 before the first): an ACK or HELLO `recv` above it is bogus. */
  get sent(): number {
    return this.sender.nextSeq - 1;
  }

  /** The last `seq` the client acknowledged: those frames are released, so a HELLO `recv` below it cannot resume. */
  get acknowledged(): number {
    return this.sender.acknowledged;
  }

  get unacked(): number {
    return this.sender.unacked;
  }

  get unackedBytes(): number {
    return this.sender.unackedBytes;
  }

  /** True while attached, or while `now` is before the end of the resume window. */
  resumable(now: number, windowMs: number): boolean {
    return !this.isEnded && (this.link !== undefined || now < this.detachedAt + windowMs);
  }

  /** Attaches `link`; the caller has detached (and is closing) any previous connection. */
  attach(link: SessionLink): void {
    this.expiry.cancel();
    this.link = link;
  }

  /** The connection is gone (or replaced): stop acknowledging on it; a resume carries `recv` instead. */
  detach(): void {
    this.receiver.pause();
    this.link = undefined;
    this.detachedAt = this.owner.clock.now();
    // The stored copy now has to last the resume window from here.
    this.journal?.touch();
  }

  /** Sends what failed note-only writes kept back (the store is reachable again). */
  retryKept(): void {
    this.journal?.retryKept();
  }

  /** Sets the stored copy's expiry again (an attached session writes nothing while idle). */
  touch(): void {
    this.journal?.touch();
  }

  /**
   * Its server closed and keeps it (in a state that outlives the server): no timer runs until a new server adopts it.
   * The caller has detached it.
   */
  park(): void {
    this.expiry.cancel();
  }

  /**
   * A new server took the state this parked session is kept in: its timers, `sessionEnd` and encoding are the new
   * server's from now on, and it waits for its client until `windowMs` after it was detached.
   */
  adopt(owner: SessionOwner, windowMs: number): void {
    this.owner = owner;
    if (!this.link && !this.isEnded) this.expireAt(this.detachedAt + windowMs);
  }

  /** Ends the session at the clock time `at` unless a connection attaches first. */
  expireAt(at: number): void {
    this.expiry.set(at);
  }

  /** A resume's HELLO `recv`, taken as a cumulative ACK; returns what the client lacks, in order, to send again. */
  resume(recv: number): readonly UnackedMessage[] {
    this.sender.ack(recv);
    if (!this.journal) return this.sender.after(recv);
    this.journal.acknowledged(recv);
    // Frames not yet durable go out when they are (enqueue), to whichever connection is attached then.
    const durable = this.journal.durableSeq;
    return this.sender.after(recv).filter((message) => message.seq <= durable);
  }

  /**
   * Judges a RELIABLE from the client: true to deliver it, false for a duplicate (re-acknowledged, not delivered).
   * @throws {ProtocolError} `bad_frame` for a gap (the connection's admission check refuses a gap before this runs).
   */
  receive(seq: number): boolean {
    // Recorded before accept(), which sends the ACK at once when `ackEvery` is reached: that ACK waits for this write.
    if (seq === this.receiver.recv + 1) this.journal?.applied(seq);
    return this.receiver.accept(seq) === 'deliver';
  }

  /** A cumulative ACK from the client. */
  acknowledge(seq: number): void {
    this.sender.ack(seq);
    this.journal?.acknowledged(seq);
  }

  sendReliable(topic: string, payload: unknown, options: SendReliableOptions = {}): boolean {
    validateTopic(topic);
    if (this.departure.refuses(this.isEnded)) return false;
    const frame = new FanOutFrame(this.owner.codec, topic, payload, this.owner.reliable.maxUnackedBytes);
    try {
      return this.enqueue(frame);
    } catch (err) {
      if (!(err instanceof QueueFullError) || (this.link && options.ifFull !== 'end-session')) throw err;
      this.owner.end(this, 'overflow');
      return false;
    }
  }

  /**
   * Numbers `frame` for this session, keeps it until acknowledged and sends it if attached; false once ended.
   * @throws {QueueFullError} when the buffer has no room (nothing was kept).
   */
  enqueue(frame: FanOutFrame): boolean {
    if (this.departure.refuses(this.isEnded)) return false;
    const seq = this.sender.reserve(frame.sizeFor(this.sender.nextSeq));
    const bytes = frame.numbered(seq);
    this.sender.commit(frame.topic, bytes);
    if (!this.journal) {
      this.link?.pushEncoded(bytes);
      return true;
    }
    // Sent once durable, so that what a client holds is in the store; a resume in between sends it from `resume`.
    this.journal.kept(seq, bytes);
    this.journal.after(() => this.link?.pushEncoded(bytes));
    return true;
  }

  /** Frees the buffers and timers for good; returns the connection it was attached to, if any. */
  release(): SessionLink | undefined {
    this.isEnded = true;
    this.journal?.stop();
    return this.free();
  }

  /**
   * Frees the session as {@link release} does, but with a shared store writes what the store lacks first (the server
   * is closing and leaves the session there for the other processes); `again` says whether to try once more after a
   * failed write. Resolves true once durable.
   */
  releaseToStore(again: () => Promise<boolean>): { link: SessionLink | undefined; stored: Promise<boolean> } {
    this.isEnded = true;
    const journal = this.journal;
    if (!journal) return { link: this.free(), stored: Promise.resolve(true) };
    // Handlers still running send into the last write (bounded): the sender keeps numbering until it is written.
    const stored = this.departure.drain(this.owner.clock, () => journal.finish(again)).finally(() => this.sender.reset());
    return { link: this.free(false), stored };
  }

  private free(sender = true): SessionLink | undefined {
    this.expiry.cancel();
    this.receiver.reset();
    if (sender) this.sender.reset();
    const link = this.link;
    this.link = undefined;
    return link;
  }

  toJSON(): Record<string, unknown> {
    // Never the id: it is what resumes the session.
    return { publicId: this.publicId, channel: this.channel, attached: this.link !== undefined, ended: this.isEnded, recv: this.recv, unacked: this.unacked };
  }

  [inspect.custom](): string {
    return `Session ${JSON.stringify(this.toJSON())}`;
  }
}
