import {
  type DisconnectedErrorCode,
  ListenerErrorCode,
  type ProtocolErrorCode,
  QueueFullErrorCode,
  SubscriberErrorCode,
  TimeoutErrorCode,
  type TransportErrorCode,
  type UsageErrorCode,
} from './codes';
import { diagnoseFailure, type FailureCause } from './failures';

/** What was thrown, as text: an Error's message, anything else as a string. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Base class of every error the runtime raises or emits; `code` is stable and safe to switch on. */
export class MultisocketError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    // Keep `instanceof` working when compiled to ES5-style classes or loaded across realms.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = new.target.name;
  }
}

/** The peer sent something the protocol does not allow (see PROTOCOL.md); the stream may not be usable. */
export class ProtocolError extends MultisocketError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(code, message);
  }
}

/** The caller misused the API: a bad option, argument or payload. Thrown synchronously, naming the bad value. */
export class UsageError extends MultisocketError {
  declare readonly code: UsageErrorCode;
  constructor(code: UsageErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * The platform refused a socket operation or the socket failed; `errMsg` is the platform's own text. When that text (or
 * the message) is one of the platforms' known failures, `cause` names it and `hint` says what to change, and the
 * message ends with the hint (the table is `PLATFORM_FAILURES`, in the README too).
 */
export class TransportError extends MultisocketError {
  declare readonly code: TransportErrorCode;
  /** The known failure behind this error, when the platform's message tells it; undefined otherwise. */
  declare readonly cause?: FailureCause;
  /** One line on what to change, with {@link TransportError.cause}. */
  readonly hint?: string;
  constructor(code: TransportErrorCode, message: string, readonly errMsg?: string) {
    const failure = diagnoseFailure(errMsg) ?? diagnoseFailure(message);
    super(code, failure ? `${message} (${failure.hint})` : message);
    if (failure) {
      // An own property, as Error's `cause` is; a string here, the stable name of the failure.
      Object.defineProperty(this, 'cause', { value: failure.cause, enumerable: true, configurable: true, writable: false });
      this.hint = failure.hint;
    }
  }
}

/** A deadline passed: a request without an answer, a `waitFor` without a match, a connect that never finished. */
export class TimeoutError extends MultisocketError {
  declare readonly code: TimeoutErrorCode;
  constructor(message: string, readonly timeoutMs: number) {
    super(TimeoutErrorCode.Timeout, message);
  }
}

/** The connection is gone (or never came): what depended on it is released with this error. */
export class DisconnectedError extends MultisocketError {
  declare readonly code: DisconnectedErrorCode;
  constructor(
    code: DisconnectedErrorCode,
    message: string,
    /** The close or BYE code that ended the connection, when there was one. */
    readonly closeCode?: number,
    readonly closeReason?: string,
  ) {
    super(code, message);
  }
}

/** A bounded buffer (outbox, unacknowledged reliable messages) is full and refused the message. */
export class QueueFullError extends MultisocketError {
  declare readonly code: QueueFullErrorCode;
  constructor(message: string) {
    super(QueueFullErrorCode.QueueFull, message);
  }
}

/** The peer answered a REQUEST with FAIL; `code` and `message` are the peer's own. */
export class RemoteError extends MultisocketError {
  constructor(code: string, message: string, readonly topic: string) {
    super(code, message);
  }
}

/** A subscriber threw (or its Promise rejected); the others still ran. `cause` is what it threw. */
export class SubscriberError extends MultisocketError {
  declare readonly code: SubscriberErrorCode;
  constructor(readonly topic: string, readonly cause: unknown) {
    super(SubscriberErrorCode.SubscriberFailed, `a subscriber of "${topic}" failed: ${describeError(cause)}`);
  }
}

/** An event listener threw; the runtime carried on. `cause` is what it threw. */
export class ListenerError extends MultisocketError {
  declare readonly code: ListenerErrorCode;
  constructor(readonly event: string, readonly cause: unknown) {
    super(ListenerErrorCode.ListenerFailed, `a "${event}" listener failed: ${describeError(cause)}`);
  }
}
