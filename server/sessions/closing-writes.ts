import type { Clock } from '../../src/time/clock';

/**
 * How long a closing server keeps trying to write what its sessions hold that the shared store lacks (a journal an
 * outage suspended), ms: `close()` waits for it, so that no other process resumes a session behind what this one
 * applied.
 */
const CLOSE_WRITE_MS = 5_000;

/**
 * The last writes of the sessions a closing server leaves in the shared store (SCALING.md "A process that closes"):
 * each one tries again every 200 ms until {@link CLOSE_WRITE_MS} after the close began, and another process asking for
 * one of those sessions is answered once its write is done.
 */
export class ClosingWrites {
  private readonly writes = new Map<string, Promise<boolean>>();
  private deadline = Infinity;

  constructor(private readonly clock: Clock) {}

  /** The close began now: the writes have until {@link CLOSE_WRITE_MS} from now. */
  begin(): void {
    this.deadline = this.clock.now() + CLOSE_WRITE_MS;
  }

  add(id: string, stored: Promise<boolean>): void {
    this.writes.set(id, stored);
  }

  /** The last write of session `id`, if this closing server is making one. */
  get(id: string): Promise<boolean> | undefined {
    return this.writes.get(id);
  }

  /** After a failed last write: true (try again) 200 ms later, false once the close has no time left. */
  readonly tryAgain = (): Promise<boolean> =>
    new Promise((resolve) => {
      const left = this.deadline - this.clock.now();
      if (left <= 0) return resolve(false);
      this.clock.setTimeout(() => resolve(true), Math.min(200, left));
    });

  /** Resolves once every last write is done, or the close's time is up. */
  async done(): Promise<void> {
    if (this.writes.size === 0) return;
    // Real time, whatever the server's clock: a write into a dead link is never answered, and a close must end.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, this.deadline - this.clock.now()));
      timer.unref();
    });
    await Promise.race([Promise.all(this.writes.values()), late]);
    clearTimeout(timer);
  }
}
