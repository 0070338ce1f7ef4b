import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { RemoteError, TimeoutError } from '../errors';

interface Pending {
  readonly topic: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: Timer;
  /** True once the REQUEST left in a WebSocket message (a drop then rejects it); false while it waits in the outbox. */
  inFlight: boolean;
  /** Called when the request settles for any reason, so the owner can withdraw it from the outbox. */
  readonly release: () => void;
}

/** What a request that got no answer in time rejects with; by default a {@link TimeoutError}. */
export type RequestTimeoutError = (topic: string, timeoutMs: number) => Error;

const clientTimeout: RequestTimeoutError = (topic, timeoutMs) =>
  new TimeoutError(`request "${topic}" got no answer within ${timeoutMs} ms`, timeoutMs);

/**
 * Requests waiting for their REPLY or FAIL, on either side of the connection (the client's requests to the server,
 * the server's to one client). Each has a deadline on the injected clock; whatever settles it (reply, failure,
 * timeout, disconnect, close) removes it, so nothing stays in the table afterwards.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly clock: Clock, private readonly timeoutError: RequestTimeoutError = clientTimeout) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registers a request and returns its id and the Promise of its reply. */
  create(topic: string, timeoutMs: number, release: () => void = () => undefined): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    if (this.nextId > Number.MAX_SAFE_INTEGER) this.nextId = 1;
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = new Timer(this.clock, () => {
      this.reject(id, this.timeoutError(topic, timeoutMs));
    });
    this.pending.set(id, { topic, resolve, reject, timer, inFlight: false, release });
    timer.schedule(timeoutMs);
    return { id, promise };
  }

  /** Marks a request as sent on the current connection. */
  sent(id: number): void {
    const p = this.pending.get(id);
    if (p) p.inFlight = true;
  }

  /** A REPLY arrived; returns false for an unknown id (late, or from an older connection). */
  reply(id: number, payload: unknown): boolean {
    return this.settle(id, (p) => p.resolve(payload));
  }

  /** A FAIL arrived; returns false for an unknown id. */
  fail(id: number, code: string, message: string): boolean {
    return this.settle(id, (p) => p.reject(new RemoteError(code, message, p.topic)));
  }

  /** Rejects one request (its frame could not be queued or sent). */
  reject(id: number, error: Error): void {
    this.settle(id, (p) => p.reject(error));
  }

  /** Forgets a request whose frame could not be sent, leaving its promise unsettled: the caller got a throw instead. */
  discard(id: number): void {
    this.settle(id, () => undefined);
  }

  /** Rejects every request already sent (the connection dropped: they may or may not have been processed). */
  rejectInFlight(error: () => Error): void {
    for (const [id, p] of [...this.pending]) if (p.inFlight) this.reject(id, error());
  }

  /** Rejects every request. */
  rejectAll(error: () => Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error());
  }

  /** Forgets a pending request and then settles it with `then`; false for an unknown id. */
  private settle(id: number, then: (p: Pending) => void): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    p.timer.cancel();
    p.release();
    then(p);
    return true;
  }
}
