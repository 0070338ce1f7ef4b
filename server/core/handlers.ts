import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { TopicIndex } from '../../src/routing/topics';
import { failureOf, ServerError, ServerErrorCode } from './errors';
import type { HandlerContext, PushHandler, RequestHandler } from './types';

/** Where a REQUEST's outcome goes: the connection turns these into REPLY / FAIL frames and `error` events. */
export interface RequestOutcome {
  /** @throws {UsageError} when `value` cannot be encoded; the handlers then answer FAIL instead. */
  reply(id: number, value: unknown, topic: string): void;
  fail(id: number, code: string, message: string, topic: string): void;
  error(error: Error): void;
}

/**
 * The server's handlers by topic pattern, with the client's syntax (exact, `+` one segment, `#` the rest).
 * A REQUEST goes to the first matching handler in registration order; a PUSH goes to every matching one, in order,
 * each isolated from the others' failures.
 */
export class Handlers {
  private readonly requests = new TopicIndex<RequestHandler>();
  private readonly pushes = new TopicIndex<PushHandler>();

  /**
   * Registers a REQUEST handler; returns the function that removes it.
   * @throws {UsageError} `invalid_argument` for a bad pattern or a handler that is not a function.
   */
  handle<P = unknown, R = unknown>(pattern: string, handler: RequestHandler<P, R>): () => void {
    checkHandler(pattern, handler);
    // P is the caller's claim about what clients send (see RequestHandler): the index holds every handler as unknown.
    return this.requests.add(pattern, handler as RequestHandler);
  }

  /**
   * Registers a PUSH handler; returns the function that removes it.
   * @throws {UsageError} `invalid_argument` for a bad pattern or a handler that is not a function.
   */
  on<P = unknown>(pattern: string, handler: PushHandler<P>): () => void {
    checkHandler(pattern, handler);
    return this.pushes.add(pattern, handler as PushHandler);
  }

  /**
   * Runs the REQUEST handler for `ctx.topic` and reports exactly one outcome: its value (sync or resolved), or a FAIL
   * whose code is the thrown error's string `code` (else `internal`, also reported as an error), or `not_found`.
   */
  dispatchRequest(id: number, payload: unknown, ctx: HandlerContext, out: RequestOutcome): void {
    const topic = ctx.topic;
    const handler = this.requests.size === 0 ? undefined : this.requests.match(topic)[0];
    if (!handler) {
      fail(out, id, topic, ServerErrorCode.NotFound, `no handler for "${shortTopic(topic)}"`);
      return;
    }
    const failed = (thrown: unknown): void => {
      const failure = failureOf(thrown);
      if (failure.internal) out.error(handlerError('REQUEST', topic, thrown));
      fail(out, id, topic, failure.code, failure.message);
    };
    const replied = (value: unknown): void => {
      try {
        out.reply(id, value, topic);
      } catch (err) {
        // The value cannot be encoded (too large, or not msgpack): the request must still be answered.
        out.error(new ServerError(ServerErrorCode.HandlerFailed, `the reply to "${shortTopic(topic)}" cannot be sent: ${messageOf(err)}`, err));
        fail(out, id, topic, failureOf(err).code, messageOf(err));
      }
    };
    let result: unknown;
    try {
      result = handler(payload, ctx);
    } catch (err) {
      failed(err);
      return;
    }
    if (!isThenable(result)) {
      replied(result);
      return;
    }
    Promise.resolve(result)
      .then(replied, failed)
      .catch((err: unknown) => out.error(handlerError('REQUEST', topic, err)));
  }

  /**
   * Runs every PUSH handler matching `ctx.topic`; a throw or rejection goes to `onError` and the others still run.
   * Returns what settles once the handlers that returned a promise are done (never rejects), if any did.
   */
  dispatchPush(payload: unknown, ctx: HandlerContext, onError: (error: Error) => void): Promise<void> | undefined {
    if (this.pushes.size === 0) return undefined;
    let running: Promise<void> | undefined;
    // match() returns a fresh array, so a handler that unsubscribes itself or another does not skip anyone.
    for (const handler of this.pushes.match(ctx.topic)) {
      try {
        const result = handler(payload, ctx);
        if (!isThenable(result)) continue;
        const done = Promise.resolve(result).then(
          () => undefined,
          (err: unknown) => onError(handlerError('PUSH', ctx.topic, err)),
        );
        running = running ? Promise.all([running, done]).then(() => undefined) : done;
      } catch (err) {
        onError(handlerError('PUSH', ctx.topic, err));
      }
    }
    return running;
  }
}

/** A client-chosen topic shortened for messages: it may be up to `maxStringBytes` long. */
export function shortTopic(topic: string): string {
  return topic.length <= 64 ? topic : `${topic.slice(0, 61)}...`;
}

function fail(out: RequestOutcome, id: number, topic: string, code: string, message: string): void {
  try {
    out.fail(id, code, message, topic);
  } catch (err) {
    // Only an enormous code or message gets here.
    out.error(new ServerError(ServerErrorCode.HandlerFailed, `a FAIL cannot be sent: ${messageOf(err)}`, err));
    out.fail(id, ServerErrorCode.Internal, 'the failure could not be encoded', topic);
  }
}

function handlerError(kind: string, topic: string, thrown: unknown): ServerError {
  return new ServerError(ServerErrorCode.HandlerFailed, `a ${kind} handler for "${shortTopic(topic)}" threw: ${messageOf(thrown)}`, thrown);
}

function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** True for a promise or any object with a `then` method (what `await` would wait on). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function checkHandler(pattern: string, handler: unknown): void {
  if (typeof handler !== 'function') {
    throw new UsageError(UsageErrorCode.InvalidArgument, `the handler for "${String(pattern)}" must be a function, got ${typeof handler}`);
  }
}
