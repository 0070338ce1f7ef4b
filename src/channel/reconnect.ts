import { backoffDelay, hintedDelay } from '../time/backoff';
import type { Clock } from '../time/clock';
import { Timer } from '../time/timer';
import type { Emitter } from '../emitter';
import { ListenerError } from '../errors';
import type { ReconnectInfo, ResolvedChannelOptions } from './options';
import type { ChannelEvents } from './types';

/**
 * When the channel connects again: after a lost connection, by the attempt count (reset once a connection has stayed
 * up `minStableMs`), `maxAttempts`, `shouldReconnect` and the backoff timer; after a suspension, by the resume delay.
 */
export class Reconnect {
  private readonly backoffTimer: Timer;
  private readonly stableTimer: Timer;
  private readonly resumeTimer: Timer;
  private resumeReason = '';
  private attempt = 0;
  private everOpened = false;

  constructor(
    clock: Clock,
    private readonly options: Pick<ResolvedChannelOptions, 'reconnect' | 'random' | 'shouldReconnect'>,
    private readonly events: Pick<Emitter<ChannelEvents>, 'emit'>,
    /** Starts the next attempt when the backoff has elapsed. */
    retry: () => void,
    /** Ends a suspension when the resume delay has elapsed; `reason` is the one {@link resumeAfter} was given. */
    resume: (reason: string) => void,
  ) {
    this.backoffTimer = new Timer(clock, retry);
    this.resumeTimer = new Timer(clock, () => resume(this.resumeReason));
    this.stableTimer = new Timer(clock, () => {
      this.attempt = 0;
    });
  }

  /** Reconnect attempts since the connection was last stable. */
  get attempts(): number {
    return this.attempt;
  }

  /** Number of timers armed. */
  get activeTimers(): number {
    return [this.backoffTimer, this.stableTimer, this.resumeTimer].filter((t) => t.armed).length;
  }

  /**
   * A connection opened: once it has stayed up `minStableMs`, the attempt count starts over. Returns true when it is a
   * reconnect (a connection had opened before).
   */
  opened(): boolean {
    const again = this.everOpened;
    this.everOpened = true;
    this.stableTimer.schedule(this.options.reconnect.minStableMs);
    return again;
  }

  /**
   * Whether to try again after a lost connection, and after how long: undefined to give up (`maxAttempts` reached, or
   * `shouldReconnect` said no or threw, which is reported as an `error`). Counts the attempt. A server's retry hint
   * (`retryMs` of its BYE) takes the backoff's place for this attempt.
   */
  next(info: Omit<ReconnectInfo, 'attempt'>, retryMs?: number): { attempt: number; delayMs: number } | undefined {
    if (!this.allowed({ attempt: this.attempt, ...info })) return undefined;
    const { reconnect, random } = this.options;
    const delayMs = retryMs === undefined ? backoffDelay(this.attempt, reconnect, random) : hintedDelay(retryMs, reconnect, random);
    return { attempt: ++this.attempt, delayMs };
  }

  /** Arms the next attempt. */
  schedule(delayMs: number): void {
    this.backoffTimer.schedule(delayMs);
  }

  /** Ends a suspension after `delayMs`. */
  resumeAfter(reason: string, delayMs: number): void {
    this.resumeReason = reason;
    this.resumeTimer.schedule(delayMs);
  }

  /** The connection is gone: neither the stable period nor a pending resume holds any more. */
  unstable(): void {
    this.stableTimer.cancel();
    this.resumeTimer.cancel();
  }

  /** Cancels every timer. */
  stop(): void {
    this.backoffTimer.cancel();
    this.unstable();
  }

  /** Cancels a pending attempt only. */
  cancelBackoff(): void {
    this.backoffTimer.cancel();
  }

  /** Cancels a pending resume only. */
  cancelResume(): void {
    this.resumeTimer.cancel();
  }

  private allowed(info: ReconnectInfo): boolean {
    if (this.attempt >= this.options.reconnect.maxAttempts) return false;
    if (!this.options.shouldReconnect) return true;
    try {
      return this.options.shouldReconnect(info) !== false;
    } catch (error) {
      this.events.emit('error', new ListenerError('shouldReconnect', error));
      return false;
    }
  }
}
