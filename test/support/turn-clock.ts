import type { Clock, TimerHandle } from '../../src/time/clock';

/**
 * A clock that runs its timers one turn of the event loop at a time, and whose time moves only as the work "takes"
 * time (a test adds to `time`).
 */
export class TurnClock implements Clock {
  time = 0;
  private timers = new Map<number, () => void>();
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, fn);
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }
  /** One turn of the event loop: runs the timers armed before it. */
  turn(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
  get pending(): number {
    return this.timers.size;
  }
}
