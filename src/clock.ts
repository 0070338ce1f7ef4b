/**
 * Time as the runtime sees it. Every timer-driven behaviour takes a `Clock`, so tests pass a manual clock while
 * sockets still run on real time, and every deadline is an absolute `now()` value re-checked when a timer fires
 * (phones freeze timers in the background and fire them late, or all at once).
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; only differences matter to the runtime, but wall time is used for PING. */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The longest delay host timers accept; a longer one fires at once (Node warns, browsers stay silent). */
export const MAX_TIMER_DELAY_MS = 0x7fffffff;

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The host's own timers and `Date.now()`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/**
 * A one-shot timer bound to a clock that remembers whether it is armed, so owners can cancel it without tracking
 * handles and tests can assert that nothing is left running.
 */
export class Timer {
  private handle: TimerHandle | undefined;
  private dueAt = 0;

  constructor(private readonly clock: Clock, private readonly fn: () => void) {}

  /**
   * Arms the timer `delayMs` from now, replacing any earlier schedule. `Infinity` means never; delays past what host
   * timers accept (2^31 - 1 ms, which they would fire at once) are reached in steps.
   */
  schedule(delayMs: number): void {
    this.cancel();
    if (!(delayMs < Infinity)) return;
    this.dueAt = this.clock.now() + Math.max(0, delayMs);
    this.arm(Math.max(0, delayMs));
  }

  private arm(delayMs: number): void {
    const step = Math.min(delayMs, MAX_TIMER_DELAY_MS);
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      const left = this.dueAt - this.clock.now();
      if (step < delayMs && left > 0) {
        this.arm(left);
        return;
      }
      this.fn();
    }, step);
  }

  cancel(): void {
    if (this.handle !== undefined) {
      this.clock.clearTimeout(this.handle);
      this.handle = undefined;
    }
  }

  get armed(): boolean {
    return this.handle !== undefined;
  }
}
