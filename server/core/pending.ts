import type { Clock } from '../../src/time/clock';
import { Deadline } from '../../src/time/deadline';
import { RemoteError, ServerError, ServerErrorCode } from './errors';

interface Pending {
  readonly topic: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: Deadline;
}

/**
 * The REQUESTs a server sent to one client and still waits on. Each settles exactly once (REPLY, FAIL, timeout or
 * disconnect) and frees its entry and its timer when it does.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  /** Registers a request on `topic` that times out after `timeoutMs`; returns its id and the promise it settles. */
  open(timeoutMs: number, topic: string): { id: number; promise: Promise<unknown> } {
    const id = this.nextId;
    this.nextId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    const promise = new Promise<unknown>((resolve, reject) => {
      const deadline = new Deadline(this.clock, () => {
        this.pending.delete(id);
        reject(new ServerError(ServerErrorCode.Timeout, `request "${topic}" got no reply within ${timeoutMs} ms`));
      });
      this.pending.set(id, { topic, resolve, reject, deadline });
      deadline.setIn(timeoutMs);
    });
    return { id, promise };
  }

  /** Settles request `id` with a REPLY; false when nothing waits on it (it timed out, or the id is made up). */
  reply(id: number, payload: unknown): boolean {
    const entry = this.take(id);
    entry?.resolve(payload);
    return entry !== undefined;
  }

  /** Settles request `id` with a FAIL; false when nothing waits on it. */
  fail(id: number, code: string, message: string): boolean {
    const entry = this.take(id);
    entry?.reject(new RemoteError(code, message, entry.topic));
    return entry !== undefined;
  }

  /** Forgets a request that could not be sent, leaving its promise unsettled: the caller got a throw instead. */
  discard(id: number): void {
    this.take(id);
  }

  /** Rejects every pending request with `error`; used when the connection goes away. */
  rejectAll(error: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.deadline.cancel();
      entry.reject(error);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  private take(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    entry.deadline.cancel();
    return entry;
  }
}
