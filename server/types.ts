/*
 * The public shapes of the reference server that several of its files share: a connection as handlers and event
 * listeners see it, the handler signatures and their context. Kept apart so that imports point one way
 * (types <- router, connection <- server) with no cycle.
 */

/**
 * Where a connection is in its life. Transitions, all through one `setState` in connection.ts:
 *
 *   awaiting_hello --HELLO v1--> authenticating --accepted--> open
 *   awaiting_hello | authenticating | open --BYE sent (close(), protocol error, timeout, refusal)--> closing
 *   any but closed --socket closed (by either side)--> closed
 */
export const ConnectionState = {
  AwaitingHello: 'awaiting_hello',
  Authenticating: 'authenticating',
  Open: 'open',
  Closing: 'closing',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Options of a server-to-client REQUEST. */
export interface RequestOptions {
  /** How long to wait for the REPLY or FAIL, ms. Default: the server's `requestTimeoutMs` (10,000). */
  timeoutMs?: number;
}

/** One client connection as handlers and listeners see it. */
export interface ServerConnection {
  /** Unique within this server process (`c1`, `c2`, ...); what `push` and `request` accept in place of the object. */
  readonly id: string;
  /** The channel name the client gave in HELLO; '' until a HELLO is read. */
  readonly channel: string;
  /** The random session id sent in WELCOME; '' until then. */
  readonly session: string;
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddress: string;
  /** The object `authenticate` returned, if it returned one. */
  readonly user: object | undefined;
  /** Where the connection is in its life; only `open` ones send and receive application frames. */
  readonly state: ConnectionState;
  /** Sends a PUSH; returns false (and sends nothing) unless the connection is open. @throws {UsageError} bad topic or payload. */
  push(topic: string, payload: unknown): boolean;
  /** Sends a REQUEST and settles with the client's REPLY (or rejects: FAIL, timeout, disconnect). */
  request(topic: string, payload: unknown, options?: RequestOptions): Promise<unknown>;
  /**
   * Sends BYE and closes; a no-op once closing. `code` defaults to 1000, `reason` to '' (cut to 123 UTF-8 bytes).
   * @throws {UsageError} `invalid_close_code` unless `code` is 1000 or 3000–4999.
   */
  close(code?: number, reason?: string): void;
}

/** What every REQUEST and PUSH handler receives besides the payload. */
export interface HandlerContext {
  readonly connection: ServerConnection;
  /** The topic the client sent (handlers registered on a wildcard pattern need it). */
  readonly topic: string;
}

/** Answers a REQUEST: the returned (or resolved) value becomes the REPLY; a throw becomes a FAIL. */
export type RequestHandler = (payload: unknown, ctx: HandlerContext) => unknown;

/** Receives a PUSH; its return value is ignored, and a throw or rejection is reported as an `error` event. */
export type PushHandler = (payload: unknown, ctx: HandlerContext) => void | Promise<void>;
