import type { Clock } from '../src/time/clock';

/*
 * How the `multisocket-server` command stops on SIGTERM (a deploy, `docker stop`, `kill`) and SIGINT (Ctrl-C): close
 * once, then exit 0; exit 1 if the close fails or outlasts its deadline, so a stuck Redis cannot keep a process that
 * was told to stop. Repeated signals while closing are ignored rather than left to Node's default (die at once):
 * Ctrl-C under `npm run serve` reaches the server twice, from the terminal and forwarded by npm.
 */

/** The stop signals the command handles. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** How long the close may take before the process exits 1 anyway, ms. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/** What the shutdown needs of its process, injected so that a test drives it without signals or exits. */
export interface ShutdownHost {
  /** `process.on`, for the stop signals. */
  on(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
  log(line: string): void;
  logError(line: string): void;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/**
 * On the first SIGTERM or SIGINT, runs `close` and exits 0 when it resolves, 1 when it rejects or has not settled
 * within `deadlineMs` (default {@link SHUTDOWN_DEADLINE_MS}); later signals are ignored.
 */
export function exitOnStopSignals(host: ShutdownHost, close: () => Promise<unknown>, deadlineMs = SHUTDOWN_DEADLINE_MS): void {
  let stopping = false;
  const stop = (signal: StopSignal): void => {
    if (stopping) return;
    stopping = true;
    host.log(`${signal}: closing`);
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      host.clock.clearTimeout(deadline);
      host.exit(code);
    };
    const deadline = host.clock.setTimeout(() => {
      host.logError(`multisocket server: not closed within ${deadlineMs} ms of ${signal}; exiting anyway`);
      finish(1);
    }, deadlineMs);
    close().then(
      () => finish(0),
      (error: unknown) => {
        host.logError(`multisocket server: closing failed: ${error instanceof Error ? error.message : String(error)}`);
        finish(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) host.on(signal, () => stop(signal));
}
