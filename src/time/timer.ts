import { type Clock, MAX_TIMER_DELAY_MS, type TimerHandle } from './clock';

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
