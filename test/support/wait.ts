/*
 * The one way a test waits for something that happens later: `waitFor` resolves when the awaited thing happens and
 * rejects, naming it, once a bound passes, so a test that goes wrong fails saying what it was waiting for instead of
 * hitting Jest's timeout. It never sleeps in place of waiting: the thing to wait for is an event (`arm`), or a
 * predicate re-checked when something changes (`holds`).
 */

/** How long a wait may take before it fails: well inside Jest's `testTimeout`, so the wait's own message shows. */
const WAIT_MS = 10_000;

/** How often `holds` re-checks a predicate that has no change signal to listen to. */
const POLL_MS = 10;

/** Bounds and diagnostics of one wait. */
export interface WaitOptions {
  /** How long before the wait rejects. Default {@link WAIT_MS}. */
  readonly timeoutMs?: number;
  /** What the rejection reports besides the name of the wait (the state the test saw when it gave up). */
  readonly detail?: () => unknown;
}

/** Starts watching for the awaited thing; calls `done` when it happens; returns what stops the watching. */
export type Arm<T> = (done: (value: T) => void) => () => void;

/**
 * Resolves with the value `arm` reports, or rejects after `timeoutMs` naming `what` (and `detail()`); either way the
 * watching stops and no timer is left behind.
 */
export function waitFor<T = void>(what: string, arm: Arm<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? WAIT_MS;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let undo: (() => void) | undefined;
    const timer = setTimeout(() => {
      settled = true;
      undo?.();
      const detail = options.detail ? `: ${JSON.stringify(options.detail())}` : '';
      reject(new Error(`still waiting after ${timeoutMs} ms for ${what}${detail}`));
    }, timeoutMs);
    const stop = arm((value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      undo?.();
      resolve(value);
    });
    // `arm` may report at once (the thing already happened), before it handed back its undo.
    if (settled) stop();
    else undo = stop;
  });
}

/** Notifies listeners that something a wait may be checking has changed (a message arrived, a state moved). */
export class Changes {
  private readonly listeners = new Set<() => void>();

  /** Re-checks every wait listening. */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` on every change; returns what stops that. */
  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

/**
 * An {@link Arm} for `waitFor` that reports once `check()` holds: checked at once, then on every `changes`, or, where
 * nothing signals a change, every few milliseconds (a bounded poll; `waitFor` bounds the whole wait).
 */
export function holds(check: () => boolean, changes?: Changes): Arm<void> {
  return (done) => {
    const recheck = () => {
      if (check()) done();
    };
    const stop = changes ? changes.on(recheck) : pollEvery(POLL_MS, recheck);
    recheck();
    return stop;
  };
}

function pollEvery(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  return () => clearInterval(timer);
}
