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
