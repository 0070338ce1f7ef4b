import { type Clock } from './clock';
import { Timer } from './timer';

/**
 * An absolute deadline on an injected clock. Moving it later costs nothing (no timer churn on every inbound frame):
 * when the armed timer fires early it re-arms for the remaining time, and when it fires late (a frozen event loop, a
 * manual clock jumping) it judges by `now()`, never by how many callbacks ran.
 */
export class Deadline {
  private at = Infinity;
  private armedFor = Infinity;
  private readonly timer: Timer;

  constructor(private readonly clock: Clock, private readonly onExpire: () => void) {
    this.timer = new Timer(clock, () => this.check());
  }

  /** Sets the deadline to the absolute clock time `at`, replacing the previous one. */
  set(at: number): void {
    this.at = at;
    if (!this.timer.armed || at < this.armedFor) this.arm(at - this.clock.now());
  }

  /** Sets the deadline `delayMs` from now. */
  setIn(delayMs: number): void {
    this.set(this.clock.now() + delayMs);
  }

  cancel(): void {
    this.at = Infinity;
    this.armedFor = Infinity;
    this.timer.cancel();
  }

  private arm(delayMs: number): void {
    this.armedFor = this.clock.now() + Math.max(0, delayMs);
    this.timer.schedule(delayMs);
  }

  private check(): void {
    const now = this.clock.now();
    if (now < this.at) {
      this.arm(this.at - now);
      return;
    }
    this.at = Infinity;
    this.armedFor = Infinity;
    this.onExpire();
  }
}
