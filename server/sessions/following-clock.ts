import type { Clock } from '../../src/time/clock';

/**
 * A clock that runs on whichever clock `current()` returns when it is called: a session kept across a server restart
 * follows the server that adopted it.
 */
export function followingClock(current: () => Clock): Clock {
  return {
    now: () => current().now(),
    setTimeout: (fn, delayMs) => current().setTimeout(fn, delayMs),
    clearTimeout: (handle) => current().clearTimeout(handle),
  };
}
