import { MultisocketError } from '../../src/errors';

/**
 * Codes the reference server puts in FAIL frames and in the errors it rejects or emits. They belong with the others
 * in src/codes.ts; they live here only until src/ takes them (the client needs `not_found` and `internal` too).
 */
export const ServerErrorCode = {
  /** FAIL: no handler matches the REQUEST's topic. */
  NotFound: 'not_found',
  /** FAIL: the handler threw something without a string `code`. */
  Internal: 'internal',
  /** A server-to-client REQUEST got no REPLY or FAIL in time. */
  Timeout: 'timeout',
  /** The connection closed while a server-to-client REQUEST was pending. */
  Disconnected: 'disconnected',
  /** A REQUEST was made on a connection that is not open. */
  NotOpen: 'not_open',
  /** The `authenticate` hook threw; what it threw is withheld because it may quote the token. */
  AuthenticateFailed: 'authenticate_failed',
  /** A handler, hook or listener threw; `cause` holds what it threw. */
  HandlerFailed: 'handler_failed',
  /** The shared session store (Redis) could not be reached: a write or a resume waits for it (SCALING.md). */
  StoreUnavailable: 'store_unavailable',
  /** An optional peer package (`ws` for `multisocket/server`, `ioredis` for `multisocket/server/redis`) is not installed. */
  MissingPackage: 'missing_package',
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** An error the reference server raises itself; `code` is one of {@link ServerErrorCode}. */
export class ServerError extends MultisocketError {
  constructor(override readonly code: ServerErrorCode, message: string, readonly cause?: unknown) {
    super(code, message);
  }
}

/** A client's FAIL answer to a server REQUEST: the runtime's own class (`code` and `message` are the client's). */
export { RemoteError } from '../../src/errors';

/**
 * The FAIL a thrown value becomes: its `code` property when that is a non-empty string, else `internal`.
 * `internal` marks a likely bug, which the caller also reports as an `error` event.
 */
export function failureOf(thrown: unknown): { code: string; message: string; internal: boolean } {
  const code = typeof thrown === 'object' && thrown !== null ? (thrown as { code?: unknown }).code : undefined;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (typeof code === 'string' && code.length > 0) return { code, message, internal: false };
  return { code: ServerErrorCode.Internal, message, internal: true };
}

/** FAIL codes of the chat module's REQUESTs, and the `error.code` of a refused `chat/say` (in `chat/said`). */
export const ChatErrorCode = {
  /** The payload is not what the topic takes (a missing or bad `room`, `mid`, `before` or `limit`). */
  BadRequest: 'bad_request',
  /** The session has not joined the room. */
  NotMember: 'not_member',
  /** The session is in `maxRoomsPerSession` rooms already. */
  TooManyRooms: 'too_many_rooms',
  /** The message body encodes to more than `maxBodyBytes`. */
  TooLarge: 'too_large',
  /**
   * The room remembers this `mid` from a `chat/say` with another body: `mid`s are unique per room, and a say is
   * repeated only with the same body. Nothing was stored or sent; say it again with a new `mid`.
   */
  MidConflict: 'mid_conflict',
  /**
   * The shared chat store (Redis) cannot be reached: nothing was stored or sent. Retryable: the same `mid` may be sent
   * again, and is stored once.
   */
  Unavailable: 'unavailable',
} as const;
export type ChatErrorCode = (typeof ChatErrorCode)[keyof typeof ChatErrorCode];

/** A chat request the module refuses; the handlers turn it into FAIL `code`. */
export class ChatError extends MultisocketError {
  constructor(override readonly code: ChatErrorCode, message: string) {
    super(code, message);
  }
}
