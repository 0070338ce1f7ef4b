/** Reconnect policy: full-jitter exponential backoff. */
export interface BackoffOptions {
  /**
   * The delay cap of the first reconnect, ms. Default 2,000: a fleet that loses its server at once spreads its first
   * attempts over 2 s (at most about 10% of them in any 100 ms), at a median first retry of 1 s, socket.io's too. A
   * phone whose network comes back, or that returns from the background, reconnects at once without it.
   */
  baseMs: number;
  /** Growth of the cap per attempt. Default 2. */
  factor: number;
  /** The largest cap, ms; applied before the jitter, so a fleet never retries in lock-step. Default 30,000. */
  maxMs: number;
}

/** Defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 2_000, factor: 2, maxMs: 30_000 });

/**
 * The delay before reconnect `attempt` (0 for the first reconnect after a drop):
 * `random() * min(maxMs, baseMs * factor^attempt)`. Pure: the same attempt and random value give the same delay.
 */
export function backoffDelay(attempt: number, options: Readonly<BackoffOptions>, random: () => number): number {
  const cap = Math.min(options.maxMs, options.baseMs * Math.pow(options.factor, Math.max(0, attempt)));
  return jittered(Number.isFinite(cap) ? cap : options.maxMs, random);
}

/**
 * The delay before a reconnect the server sent a retry hint for (BYE `retryMs`: "come back within this many ms"):
 * `random() * min(retryMs, maxMs)`. Jittered as the backoff is, so that a fleet told to come back at once (a rolling
 * restart behind a proxy) still spreads its reconnects over the window; never longer than the client's own `maxMs`.
 */
export function hintedDelay(retryMs: number, options: Readonly<BackoffOptions>, random: () => number): number {
  return jittered(Math.min(options.maxMs, Math.max(0, retryMs)), random);
}

function jittered(cap: number, random: () => number): number {
  const r = random();
  // A random source outside [0, 1) must not produce a negative or over-cap delay.
  const jitter = r >= 0 && r < 1 ? r : 0.5;
  return Math.floor(jitter * cap);
}
