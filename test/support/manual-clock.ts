import type { Clock, TimerHandle } from '../../src/time/clock';

interface Scheduled {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock whose time moves only when a test says so. Sockets keep running on real time; every runtime timer
 * (heartbeat, backoff, deadlines) runs here, so timer-driven behaviour is exact and instant.
 */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers = new Map<number, Scheduled>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.time + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, running each timer that falls due, in order, at its own time. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.nextDue(target);
      if (!due) break;
      this.timers.delete(due.id);
      this.time = due.at;
      due.fn();
    }
    this.time = target;
  }

  /**
   * Moves time forward without running anything, then fires every overdue timer at once: what a phone does to
   * timers frozen in the background. Deadlines must be judged against `now()`, not by counting callbacks.
   */
  jump(ms: number): void {
    this.time += ms;
    const due = [...this.timers.values()].filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at || a.id - b.id);
    for (const t of due) {
      if (!this.timers.has(t.id)) continue;
      this.timers.delete(t.id);
      t.fn();
    }
  }

  /** Runs the timers due now (a zero-delay timer scheduled during a test turn, say). */
  tick(): void {
    this.advance(0);
  }

  /** Number of timers still scheduled: an owner that closed cleanly leaves none of its own. */
  get pending(): number {
    return this.timers.size;
  }

  /** When the next timer is due, or undefined. */
  get nextAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  private nextDue(limit: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
