import { DisconnectedErrorCode, ProtocolErrorCode } from '../codes';
import { DisconnectedError, type MultisocketError, ProtocolError } from '../errors';
import { StateReason } from './state';

/**
 * Why a channel is not open, as `stats().lastError` gives it: the failure of its last connection or attempt. Set at
 * each failure (a refused or unreachable URL, a refused upgrade, a close, a BYE, a timeout), cleared when a WELCOME
 * opens the channel, kept when the channel ends (so a closed channel still says why); the application's own
 * `close()` leaves it as it was.
 */
export interface ChannelFailure {
  /** The error's stable code: `socket_error`, `timeout`, `disconnected` (a close or BYE), `protocol_error`, ... */
  code: string;
  message: string;
  /** When it happened, on the channel's clock, ms. */
  at: number;
  /** The close or BYE code, when the server (or the socket) gave one. */
  closeCode?: number;
  closeReason?: string;
}

/** What a lost connection reports: the error the socket or the channel raised, or the close / BYE code and reason. */
export interface LossInfo {
  code?: number;
  closeReason?: string;
  error?: Error;
  /** The BYE's retry hint, ms: the next attempt comes within it instead of after the backoff. */
  retryMs?: number | undefined;
}

/**
 * The typed error for a lost connection or a failed attempt (`reason`, a {@link StateReason}): the error it came with,
 * or a {@link DisconnectedError} `disconnected` carrying the close or BYE code and reason.
 */
export function lossError(reason: string, info: LossInfo): MultisocketError {
  if (info.error) return info.error as MultisocketError;
  const { code, closeReason } = info;
  const by = reason === StateReason.Bye ? 'the server said BYE' : 'the connection closed';
  const why = code === undefined ? `${by} (${reason})` : `${by} with ${code}${closeReason ? `: ${closeReason}` : ''}`;
  return new DisconnectedError(DisconnectedErrorCode.Disconnected, why, code, closeReason);
}

/** The plain snapshot of `error` for `stats()`. */
export function failureOf(error: MultisocketError, at: number): ChannelFailure {
  const failure: ChannelFailure = { code: error.code, message: error.message, at };
  if (error instanceof DisconnectedError && error.closeCode !== undefined) {
    failure.closeCode = error.closeCode;
    if (error.closeReason !== undefined) failure.closeReason = error.closeReason;
  }
  return failure;
}

/**
 * The answer to HELLO was not a WELCOME or a BYE (an echo, text, bytes that are not msgpack): whatever listens at `url`
 * does not speak this protocol, and will not on the next attempt either.
 */
export function wrongServerError(url: string, cause: MultisocketError): ProtocolError {
  return new ProtocolError(
    cause instanceof ProtocolError ? cause.code : ProtocolErrorCode.Malformed,
    `the server at ${url} does not speak the multisocket protocol (it answered HELLO with: ${cause.message}); is the URL right, and is it a multisocket server?`,
  );
}
