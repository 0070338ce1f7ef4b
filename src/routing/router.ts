import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { DisconnectedErrorCode, UsageErrorCode } from '../codes';
import { DisconnectedError, SubscriberError, TimeoutError, UsageError } from '../errors';
import { TopicIndex } from './topics';

/** How a message arrived: a PUSH, a RELIABLE or a REQUEST frame. */
export type MessageKind = 'push' | 'reliable' | 'request';

/** What a subscriber learns besides the payload. */
export interface MessageMeta {
  /** The concrete topic (useful with wildcard patterns). */
  readonly topic: string;
  readonly kind: MessageKind;
  /** The name of the channel it arrived on. */
  readonly channel: string;
  /** The RELIABLE sequence number, for `reliable`. */
  readonly seq?: number;
}

/**
 * A subscriber. For a REQUEST, the first matching subscriber answers: its return value (or the value its Promise
 * resolves to) becomes the REPLY, and what it throws becomes a FAIL. Other subscribers only observe.
 */
export type Subscriber<P = unknown> = (payload: P, meta: MessageMeta) => unknown;

/** Options of {@link Router.waitFor}. */
export interface WaitForOptions<P = unknown> {
  /** Reject with TimeoutError after this long, ms. Default: wait until the channel closes. */
  timeoutMs?: number;
  /** Only a message for which this returns true settles the wait. */
  filter?: (payload: P, meta: MessageMeta) => boolean;
}

interface Subscription {
  readonly fn: Subscriber;
  readonly once: boolean;
  undo: () => void;
}

/** The outcome of dispatching a REQUEST: whether anyone answered, and what. */
export type RequestOutcome = { handled: false } | { handled: true; result: unknown } | { handled: true; error: unknown };

/**
 * Hands each incoming message to the subscribers of its topic (exact, `+`, `#`; see topics.ts). A subscriber that
 * throws does not stop the others: the failure is reported to `onError`. Matching cost does not grow with the number
 * of unrelated subscriptions.
 */
export class Router {
  private readonly index = new TopicIndex<Subscription>();
  private readonly waiters = new Set<(error: Error) => void>();
  private closedReason: string | undefined;

  constructor(
    private readonly channel: string,
    private readonly clock: Clock,
    private readonly onError: (error: SubscriberError) => void,
  ) {}

  /** Number of subscriptions (waiters included). */
  get size(): number {
    return this.index.size;
  }

  /**
   * Calls `fn` for every message whose topic matches `pattern`; returns the unsubscribe function.
   * @throws {UsageError} `invalid_argument` for an invalid pattern or a non-function subscriber.
   */
  subscribe<P = unknown>(pattern: string, fn: Subscriber<P>): () => void {
    return this.add(pattern, fn as Subscriber, false);
  }

  /** Like {@link subscribe}, for the first matching message only. */
  once<P = unknown>(pattern: string, fn: Subscriber<P>): () => void {
    return this.add(pattern, fn as Subscriber, true);
  }

  /**
   * Resolves with the payload of the next message matching `pattern` (and `filter`).
   * @throws {TimeoutError} (rejection) after `timeoutMs`; {DisconnectedError} `closed` if the router closes first.
   */
  waitFor<P = unknown>(pattern: string, options: WaitForOptions<P> = {}): Promise<P> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.Closed, this.closedReason));
    }
    return new Promise<P>((resolve, reject) => {
      let undo: () => void = () => undefined;
      const timer = new Timer(this.clock, () => {
        settle();
        reject(new TimeoutError(`no message on "${pattern}" within ${options.timeoutMs} ms`, options.timeoutMs ?? 0));
      });
      const abort = (error: Error) => {
        settle();
        reject(error);
      };
      const settle = () => {
        timer.cancel();
        undo();
        this.waiters.delete(abort);
      };
      undo = this.add(
        pattern,
        (payload, meta) => {
          if (options.filter && !options.filter(payload as P, meta)) return undefined;
          settle();
          resolve(payload as P);
          return undefined;
        },
        false,
      );
      this.waiters.add(abort);
      if (options.timeoutMs !== undefined) timer.schedule(options.timeoutMs);
    });
  }

  /** Delivers a PUSH or RELIABLE payload to every matching subscriber. Returns how many there were. */
  dispatch(topic: string, payload: unknown, meta: MessageMeta): number {
    const subs = this.index.match(topic);
    for (const sub of subs) this.call(sub, payload, meta);
    return subs.length;
  }

  /** Delivers a REQUEST: the first matching subscriber answers, the others observe. */
  dispatchRequest(topic: string, payload: unknown, meta: MessageMeta): RequestOutcome {
    const subs = this.index.match(topic);
    if (subs.length === 0) return { handled: false };
    let outcome: RequestOutcome = { handled: false };
    subs.forEach((sub, i) => {
      if (i > 0) {
        this.call(sub, payload, meta);
        return;
      }
      if (sub.once) sub.undo();
      try {
        outcome = { handled: true, result: sub.fn(payload, meta) };
      } catch (error) {
        outcome = { handled: true, error };
      }
    });
    return outcome;
  }

  /** Drops every subscription and rejects every pending `waitFor` with `closed`. */
  close(reason = 'the channel closed'): void {
    this.closedReason = reason;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const abort of waiters) abort(new DisconnectedError(DisconnectedErrorCode.Closed, reason));
    this.index.clear();
  }

  private add(pattern: string, fn: Subscriber, once: boolean): () => void {
    if (this.closedReason !== undefined) throw new UsageError(UsageErrorCode.Closed, `cannot subscribe: ${this.closedReason}`);
    if (typeof fn !== 'function') {
      throw new UsageError(UsageErrorCode.InvalidArgument, `subscriber for "${pattern}" must be a function, got ${typeof fn}`);
    }
    const sub: Subscription = { fn, once, undo: () => undefined };
    sub.undo = this.index.add(pattern, sub);
    return sub.undo;
  }

  private call(sub: Subscription, payload: unknown, meta: MessageMeta): void {
    if (sub.once) sub.undo();
    try {
      const result = sub.fn(payload, meta);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.onError(new SubscriberError(meta.topic, error)));
    } catch (error) {
      this.onError(new SubscriberError(meta.topic, error));
    }
  }
}

/** True for a Promise or any object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
