import { backoffDelay, type Channel, DisconnectedError, DisconnectedErrorCode, RemoteError, type TimerHandle } from '../../src';
import type { RoomId, Said, SayRetryOptions } from './types';

interface PendingSay {
  resolve(said: Said): void;
  reject(error: Error): void;
  room: RoomId;
  body: unknown;
  /**
   * Waits for its room's (re-)join to be through, then goes with the others in the order they were said: made while
   * the room was joining, refused `not_member` before the join reached the server, or unanswered when the session was
   * lost (its answer may be lost with it).
   */
  held: boolean;
  /** `unavailable` refusals so far, and when the first came (clock time). */
  unavailable: number;
  firstUnavailableAt: number;
  /** The timer that sends it again after an `unavailable` refusal. */
  retryTimer: TimerHandle | undefined;
}

/** What the server answers a `chat/say` with (RELIABLE `chat/said`). */
interface SaidPayload {
  mid: string;
  room: RoomId;
  id?: number;
  ts?: number;
  error?: { code: string; message: string };
}

/** A room id as a map key: the application may name a room 7 or '7'. */
export const roomKey = (room: RoomId): string => String(room);

/**
 * The says of one chat channel still waiting for their `chat/said`: each is sent as RELIABLE `chat/say` with a `mid`
 * of its own, sent again with the same `mid` when the server asks for it (a join that was not through yet, a store
 * that was away), and settled exactly once. While a room is joining, the says to it are held and then sent in the
 * order they were made, so that a new one never overtakes an older one that has to go again.
 */
export class Says {
  private readonly pending = new Map<string, PendingSay>();
  private readonly midPrefix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  private midCounter = 0;

  /**
   * @param holds whether says to this room wait for a join (the first join, or a re-join after a lost session, which
   *   the runtime's re-sends of the lost session's says overtake): a say made meanwhile is not sent yet, and one
   *   refused `not_member` meanwhile is not refused but sent again once the join is through ({@link release}).
   */
  constructor(
    private readonly channel: Channel,
    private readonly retryPolicy: SayRetryOptions,
    private readonly holds: (key: string) => boolean,
  ) {
    channel.subscribe('chat/said', (payload) => this.answered(payload as SaidPayload));
  }

  say(room: RoomId, body: unknown): Promise<Said> {
    const mid = `${this.midPrefix}-${++this.midCounter}`;
    return new Promise<Said>((resolve, reject) => {
      const held = this.holds(roomKey(room));
      const pending: PendingSay = { resolve, reject, room, body, held, unavailable: 0, firstUnavailableAt: 0, retryTimer: undefined };
      this.pending.set(mid, pending);
      if (!held) this.send(mid, pending);
    });
  }

  /** The session was lost: every unanswered say to `room` goes again after the re-join, in the order said. */
  hold(room: RoomId): void {
    for (const pending of this.pending.values()) if (roomKey(pending.room) === roomKey(room)) pending.held = true;
  }

  /**
   * The join of `room` is through (or failed): unless something still holds the room, its held says go, in the order
   * they were made (the table keeps that order), before any say made after this call.
   */
  release(room: RoomId): void {
    const key = roomKey(room);
    if (this.holds(key)) return;
    for (const [mid, pending] of [...this.pending]) {
      if (pending.held && roomKey(pending.room) === key) this.send(mid, pending);
    }
  }

  /** The channel closed: every say still waiting rejects, and no retry stays armed. */
  closed(): void {
    for (const pending of this.pending.values()) this.cancelRetry(pending);
    for (const pending of this.pending.values()) pending.reject(new DisconnectedError(DisconnectedErrorCode.Closed, 'the chat channel closed'));
    this.pending.clear();
  }

  /** Sends (again) a pending say; a failure (sendReliable only ever rejects) settles it. */
  private send(mid: string, pending: PendingSay): void {
    pending.held = false;
    this.cancelRetry(pending);
    this.channel.sendReliable('chat/say', { room: pending.room, mid, body: pending.body }).catch((error: Error) => {
      if (this.pending.delete(mid)) pending.reject(error);
    });
  }

  private answered(said: SaidPayload): void {
    const pending = this.pending.get(said.mid);
    if (!pending) return; // an answer repeated after a resync, already settled
    // Sent before its room's join reached the server: it goes again, in its turn, once the join is through.
    if (said.error?.code === 'not_member' && this.holds(roomKey(pending.room))) {
      pending.held = true;
      return;
    }
    // The server's store is away (nothing stored): the same mid goes again after a backoff, bounded by sayRetry.
    if (said.error?.code === 'unavailable' && this.retryUnavailable(said.mid, pending)) return;
    this.pending.delete(said.mid);
    if (said.error) pending.reject(new RemoteError(said.error.code, said.error.message, 'chat/say'));
    else pending.resolve({ room: said.room, id: said.id as number, ts: said.ts as number, mid: said.mid });
  }

  /**
   * A say refused as `unavailable` (nothing stored): sent again later with the same `mid`, while within the retry
   * limit, on the channel's own clock (a test's manual clock drives it as it drives every other timer). Returns false
   * when it is over, and the refusal is the answer.
   */
  private retryUnavailable(mid: string, pending: PendingSay): boolean {
    const { clock, random } = this.channel.options;
    const now = clock.now();
    if (pending.unavailable === 0) pending.firstUnavailableAt = now;
    const delay = backoffDelay(pending.unavailable, this.retryPolicy, random);
    if (!(this.retryPolicy.limitMs > 0) || now + delay - pending.firstUnavailableAt > this.retryPolicy.limitMs) return false;
    pending.unavailable++;
    this.cancelRetry(pending);
    pending.retryTimer = clock.setTimeout(() => {
      pending.retryTimer = undefined;
      // Settled meanwhile (its answer came after a resync's re-send), or the channel closed: nothing to send. Held
      // meanwhile (the session was lost): it goes in its turn after the re-join.
      if (this.pending.get(mid) === pending && !pending.held) this.send(mid, pending);
    }, delay);
    return true;
  }

  private cancelRetry(pending: PendingSay): void {
    if (pending.retryTimer === undefined) return;
    this.channel.options.clock.clearTimeout(pending.retryTimer);
    pending.retryTimer = undefined;
  }
}
