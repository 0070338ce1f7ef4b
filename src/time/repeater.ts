import type { Clock } from './clock';
import { Timer } from './timer';

/**
 * Calls `fn` every `periodMs` on an injected clock, on a schedule of absolute times: a timer that fires late (a frozen
 * event loop, a phone back from the background) runs `fn` once and keeps to the schedule rather than bursting the
 * periods it missed. Starting an already running repeater changes nothing.
 */
export class Repeater {
  private readonly timer: Timer;
  private dueAt = 0;

  constructor(private readonly clock: Clock, private readonly periodMs: number, private readonly fn: () => void) {
    this.timer = new Timer(clock, () => this.tick());
  }

  /** Runs `fn` one period from now, and every period after, until {@link stop}. */
  start(): void {
    if (this.timer.armed) return;
    this.dueAt = this.clock.now() + this.periodMs;
    this.timer.schedule(this.periodMs);
  }

  /** No more calls, and no timer left armed, until the next {@link start}. */
  stop(): void {
    this.timer.cancel();
  }

  get running(): boolean {
    return this.timer.armed;
  }

  private tick(): void {
    const now = this.clock.now();
    this.dueAt += this.periodMs;
    if (this.dueAt <= now) this.dueAt = now + this.periodMs;
    this.timer.schedule(this.dueAt - now);
    this.fn();
  }
}
