import type { WebSocket } from 'ws';
import type { Clock } from '../../src/time/clock';
import { Timer } from '../../src/time/timer';

/** The code and reason a closed socket is reported with. */
export interface ClosedWith {
  readonly code: number;
  readonly reason: string;
}

/**
 * How one socket ends: the code and reason it is reported with (the server's own when it closed first, else the
 * peer's), the timer that drops a peer that never answers the close frame, and the promise that settles once the
 * socket is gone. The connection decides when; this keeps the record.
 */
export class Exit {
  /** Settles once {@link settle} is called: the socket is closed and its connection released everything. */
  readonly whenClosed: Promise<void>;
  private code = 1006;
  private reason = '';
  private byServer = false;
  private settle!: () => void;
  private readonly killTimer: Timer;

  constructor(clock: Clock, ws: WebSocket) {
    this.whenClosed = new Promise((resolve) => (this.settle = resolve));
    // A peer that never answers our close frame would hold the socket until ws's own 30 s timer.
    this.killTimer = new Timer(clock, () => ws.terminate());
  }

  /** The server closes with `code` and `reason`; the socket is dropped if it is not closed within `timeoutMs`. */
  begin(code: number, reason: string, timeoutMs: number): void {
    this.byServer = true;
    this.code = code;
    this.reason = reason;
    this.killTimer.schedule(timeoutMs);
  }

  /** The socket closed with the peer's `code` and `reason`: returns what to report it with. */
  closed(code: number, reason: string): ClosedWith {
    this.killTimer.cancel();
    if (!this.byServer) {
      this.code = code;
      this.reason = reason;
    }
    return { code: this.code, reason: this.reason };
  }

  /** Settles {@link whenClosed}. */
  done(): void {
    this.settle();
  }
}
