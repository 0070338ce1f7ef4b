import type { ConnectionAttempt } from './attempt';
import type { ChannelCounters } from './counters';
import type { Emitter } from '../emitter';
import type { MultisocketError } from '../errors';
import type { DropReason } from './outbox';
import { ChannelState } from './state';
import type { Clock } from '../time/clock';
import type { ChannelEvents } from './types';
import type { FrameCodec } from '../wire/codec';

/**
 * Where a channel stands: its state, its current connection attempt, and whether the outbox is being drained. Only the
 * {@link StateMachine} changes it; the sending and receiving parts are handed it at construction and read it, so they
 * never have to ask the channel above them.
 */
export class ChannelStatus {
  private current: ChannelState = ChannelState.Idle;
  private attempt: ConnectionAttempt | undefined;
  /** True while the outbox is being flushed after WELCOME: sends made meanwhile go straight out, in order. */
  private draining = false;
  private failure: { error: MultisocketError; at: number } | undefined;

  constructor(private readonly events: Pick<Emitter<ChannelEvents>, 'emit'>) {}

  get state(): ChannelState {
    return this.current;
  }

  /** The current attempt, replaced for every attempt: a callback from an older one finds it stale and does nothing. */
  get connection(): ConnectionAttempt | undefined {
    return this.attempt;
  }

  /** The one way to change state: emits `state` `{previous, next, reason}` when it does change. */
  set(next: ChannelState, reason: string): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.events.emit('state', { previous, next, reason });
  }

  /** Why the channel is not open: the last failure (`ChannelFailure` in failure.ts says when it is set and cleared). */
  get lastFailure(): { error: MultisocketError; at: number } | undefined {
    return this.failure;
  }

  /** Records the failure of the current connection or attempt, at `at`; undefined clears it (a WELCOME opened). */
  fail(error: MultisocketError | undefined, at = 0): void {
    this.failure = error ? { error, at } : undefined;
  }

  /** Makes `attempt` the current one (undefined: none); returns the one it replaces. */
  replace(attempt: ConnectionAttempt | undefined): ConnectionAttempt | undefined {
    const previous = this.attempt;
    this.attempt = attempt;
    return previous;
  }

  /** Runs `fn` with sends counting as live: the outbox drains right after WELCOME, before the state says open. */
  whileDraining<T>(fn: () => T): T {
    this.draining = true;
    try {
      return fn();
    } finally {
      this.draining = false;
    }
  }

  /** Closed or closing. */
  get ended(): boolean {
    return this.current === ChannelState.Closed || this.current === ChannelState.Closing;
  }

  /** Closed, closing or suspended: a lost connection changes nothing. (A method, so TypeScript does not narrow.) */
  down(): boolean {
    return this.ended || this.current === ChannelState.Suspended;
  }

  /** Frames can go out now: open (or flushing the outbox right after WELCOME) with a socket that is open. */
  live(): boolean {
    return this.attempt !== undefined && this.attempt.open && (this.current === ChannelState.Open || this.draining);
  }
}

/**
 * What every part of one channel shares, handed down at construction: its name, clock and codec, where events go,
 * its {@link ChannelStatus}, its counters, and how a message that left unsent is reported.
 */
export interface ChannelContext {
  readonly name: string;
  readonly clock: Clock;
  readonly codec: FrameCodec;
  readonly events: Pick<Emitter<ChannelEvents>, 'emit' | 'removeAllListeners'>;
  readonly status: ChannelStatus;
  readonly counters: ChannelCounters;
  /** Counts a message that left without being sent and emits `dropped`. */
  drop(topic: string, reason: DropReason): void;
}
