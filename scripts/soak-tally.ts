/*
 * How the soak checks one stream of numbered messages (0, 1, 2, ... from one sender to one receiver): each number must
 * arrive once, in order. What arrived twice, late (after a higher one) or never is counted, not thrown, so that one run
 * reports every defect it met.
 */

/** One receiver's view of one sender's stream. */
export class SequenceCheck {
  private readonly seen = new Set<number>();
  private highest = -1;
  private waiter: { target: number; resolve: () => void } | undefined;
  /** Arrivals, duplicates included. */
  count = 0;
  duplicated = 0;
  /** First arrivals that came after a higher number. */
  outOfOrder = 0;

  see(n: number): void {
    this.count++;
    if (this.seen.has(n)) {
      this.duplicated++;
      return;
    }
    this.seen.add(n);
    if (n < this.highest) this.outOfOrder++;
    this.highest = Math.max(this.highest, n);
    if (this.waiter && this.seen.size >= this.waiter.target) this.waiter.resolve();
  }

  /** Distinct numbers that arrived. */
  get distinct(): number {
    return this.seen.size;
  }

  /** Numbers below `expected` that never arrived. */
  lost(expected: number): number {
    let missing = 0;
    for (let n = 0; n < expected; n++) if (!this.seen.has(n)) missing++;
    return missing;
  }

  /** Resolves true once `target` distinct numbers arrived, false if that takes longer than `ms`. */
  until(target: number, ms: number): Promise<boolean> {
    if (this.seen.size >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, ms);
      this.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(true);
        },
      };
    });
  }
}

/** Bounded waiting for the soak's windows. */
export const Tally = {
  /** `promise`'s value, or undefined if it takes longer than `ms`. */
  within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  },
};
