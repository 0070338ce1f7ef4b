import type { ProtocolErrorCode, TransportErrorCode, UsageErrorCode } from './codes';

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
  constructor(override readonly code: ProtocolErrorCode, message: string) {
    super(code, message);
  }
}

/** The caller misused the API: a bad option, argument or payload. Thrown synchronously, naming the bad value. */
export class UsageError extends MultisocketError {
  constructor(override readonly code: UsageErrorCode, message: string) {
    super(code, message);
  }
}

/** The platform refused a socket operation or the socket failed; `errMsg` is the platform's own text. */
export class TransportError extends MultisocketError {
  constructor(override readonly code: TransportErrorCode, message: string, readonly errMsg?: string) {
    super(code, message);
  }
}
