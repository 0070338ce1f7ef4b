import type { Clock, TimerHandle } from '../../src/time/clock';

/**
 * How long a session that leaves this process (a handoff, a closing server's last write) waits for its handlers still
 * running, ms: what they send meanwhile goes with the session. Well inside the handoff's patience (`handoffTimeoutMs`,
 * 2 s by default) and the close's (5 s): a handler slower than this loses what it sends later, which is dropped.
 */
const HELD_ANSWERS_MS = 500;

/**
 * How a session with a shared store leaves this process (SCALING.md "Handoff"): it first waits for its handlers still
 * running (their promises), for at most {@link HELD_ANSWERS_MS}, so that an answer a handler produces after the move
 * began (a `chat/said` whose store append was in flight) goes with the session instead of being lost; then the write
 * that gives the session up is due, and from then on no frame is taken on (it would be lost with this copy).
 */
export class Departure {
  /** The handlers in flight; each is forgotten as it settles, so the set stays as small as they are few. */
  private readonly running = new Set<PromiseLike<unknown>>();
  /** Set once the write that gives the session up to another process is due. */
  private givingUp = false;
  /** Set while an ended session (its server closing) waits for its handlers: what they send goes with it. */
  private draining = false;

  /** Holds the departure for `work`, which settles when the handler is done. */
  hold(work: PromiseLike<unknown>): void {
    this.running.add(work);
    const done = (): void => void this.running.delete(work);
    work.then(done, done);
  }

  /** Whether a frame for the session is refused now (`ended`: the session ended here). */
  refuses(ended: boolean): boolean {
    return (ended && !this.draining) || this.givingUp;
  }

  /**
   * Another process asks for the session: once the handlers are done (or the wait is over), `giveUp()` writes it and
   * gives it up, unless `ended()` by then. Frames are refused from then on, and taken again if it fails (false).
   */
  async handOver(clock: Clock, ended: () => boolean, giveUp: () => Promise<boolean>): Promise<boolean> {
    await this.settled(clock);
    if (ended()) return false;
    this.givingUp = true;
    const given = await giveUp();
    if (!given) this.givingUp = false;
    return given;
  }

  /** The session ended here (its server closes): frames are taken until the handlers are done, then `last()` runs. */
  async drain(clock: Clock, last: () => Promise<boolean>): Promise<boolean> {
    this.draining = true;
    await this.settled(clock);
    this.draining = false;
    return last();
  }

  /** Resolves once every handler held now has settled, or {@link HELD_ANSWERS_MS} later on `clock`. */
  private settled(clock: Clock): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    let timer: TimerHandle | undefined;
    const late = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, HELD_ANSWERS_MS)));
    const done = Promise.all([...this.running].map((work) => Promise.resolve(work).then(noop, noop)));
    return Promise.race([done, late]).then(() => {
      if (timer !== undefined) clock.clearTimeout(timer);
    });
  }
}

function noop(): void {}
