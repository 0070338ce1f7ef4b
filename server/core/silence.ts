import type { Clock } from '../../src/time/clock';
import { Deadline } from '../../src/time/deadline';

/**
 * The server's side of a connection's heartbeat: the deadline every inbound message pushes back (a client silent for
 * `heartbeatMs + heartbeatGraceMs` is gone), and the server time that PONG and WELCOME carry for the client's clock.
 */
export class SilenceDeadline {
  private readonly deadline: Deadline;
  private readonly timeoutMs: number;

  /** @param timedOut called once the deadline passes without {@link extend}. */
  constructor(private readonly clock: Clock, options: { readonly heartbeatMs: number; readonly heartbeatGraceMs: number }, timedOut: () => void) {
    this.deadline = new Deadline(clock, timedOut);
    this.timeoutMs = options.heartbeatMs + options.heartbeatGraceMs;
  }

  /** The client was heard from: the deadline starts again from now. */
  extend(): void {
    this.deadline.setIn(this.timeoutMs);
  }

  cancel(): void {
    this.deadline.cancel();
  }

  /** Clock time as a msgpack uint: the client's validator refuses a fraction. */
  time(): number {
    return Math.floor(this.clock.now());
  }
}
