import type { MessageKind } from '../../src/routing/router';

/*
 * The public shapes of the reference server that several of its files share: a connection and a session as handlers
 * and event listeners see them, the handler signatures and their context. Kept apart so that imports point one way
 * (types <- handlers, session <- connection <- server) with no cycle.
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
export interface ServerRequestOptions {
  /** How long to wait for the REPLY or FAIL, ms. Default: the server's `requestTimeoutMs` (10,000). */
  timeoutMs?: number;
}

/** What a server-to-client RELIABLE send does when the session's unacknowledged buffer is full. */
export interface SendReliableOptions {
  /**
   * `throw` (the default) refuses with a {@link QueueFullError} while the client is connected, so the caller can
   * wait or give up; `end-session` ends the session instead (its connection gets BYE 4000 and the client resyncs),
   * for fan-outs where one slow member must not fail the rest. A session whose client is away is always ended: no
   * caller can make an absent client acknowledge.
   */
  ifFull?: 'throw' | 'end-session';
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
  /**
   * Queues one frame already encoded (by a codec with this server's `limits`: one encoding serves many connections);
   * returns false (and sends nothing) unless the connection is open.
   */
  pushEncoded(frame: Uint8Array): boolean;
  /**
   * Sends a RELIABLE message in this connection's session: numbered, kept until the client acknowledges it, and
   * retransmitted when the client resumes the session, so it also works (buffered) after this socket closed. False
   * when there is no session (not yet welcomed) or it has ended.
   * @throws {QueueFullError} when the session's buffer is full and the client is connected (see {@link SendReliableOptions}).
   * @throws {UsageError} for a bad topic, or a payload that cannot be encoded within `maxFrameBytes` or `reliable.maxUnackedBytes`.
   */
  sendReliable(topic: string, payload: unknown, options?: SendReliableOptions): boolean;
  /** Sends a REQUEST and settles with the client's REPLY (or rejects: FAIL, timeout, disconnect). */
  request(topic: string, payload: unknown, options?: ServerRequestOptions): Promise<unknown>;
  /**
   * Sends BYE and closes; a no-op once closing. `code` defaults to 1000, `reason` to '' (cut to 123 UTF-8 bytes).
   * @throws {UsageError} `invalid_close_code` unless `code` is 1000 or 3000–4999.
   */
  close(code?: number, reason?: string): void;
}

/**
 * One client's session: it outlives its connections for `resumeWindowMs` after each disconnect, so RELIABLE messages
 * in both directions survive a reconnect (PROTOCOL.md section 5). Handlers key per-client state by it.
 */
export interface ServerSession {
  /** The id sent in WELCOME. A secret: whoever presents it in HELLO resumes the session, so never show it to others. */
  readonly id: string;
  /**
   * An id that is safe to show other clients (`p<token>.<n>`, the token random per process, so unique across them):
   * chat's `from` and game's player id by default.
   */
  readonly publicId: string;
  /** The channel name of the HELLO that created it; a resume must give the same one. */
  readonly channel: string;
  /** What `authenticate` returned for the latest connection of this session. */
  readonly user: object | undefined;
  /** The connection the session is attached to, or undefined while the client is away. */
  readonly connection: ServerConnection | undefined;
  /** True once the session is freed (expired, overflowed, or the server closed); nothing is sent or kept after that. */
  readonly ended: boolean;
  /** The last RELIABLE `seq` from the client that was delivered to the handlers. */
  readonly recv: number;
  /** RELIABLE messages sent to the client and not yet acknowledged. */
  readonly unacked: number;
  /**
   * Sends a RELIABLE message to the client, now if it is connected, else when it resumes; false once the session ended,
   * or while it is being handed over to another process of a service on Redis (it is that process's to send then).
   * @throws {QueueFullError} when the buffer is full and the client is connected (see {@link SendReliableOptions}).
   * @throws {UsageError} for a bad topic, or a payload that cannot be encoded within `maxFrameBytes` or `reliable.maxUnackedBytes`.
   */
  sendReliable(topic: string, payload: unknown, options?: SendReliableOptions): boolean;
}

/**
 * Why a session was freed: `expired` (its client stayed away past `resumeWindowMs`), `overflow` (more RELIABLE
 * messages were due to it than `reliable` limits let the server keep; its client resyncs), `server_closed`, `moved`
 * (with a shared session store: another process took it, or the store failed; its client resumes from the store), or
 * `resume_refused` (a HELLO asked to resume it with a `recv` below what its client had acknowledged: those frames are
 * released, so it got a new session and resyncs; PROTOCOL.md section 5).
 */
export type SessionEndReason = 'expired' | 'overflow' | 'server_closed' | 'moved' | 'resume_refused';

// How a handler's message arrived: a PUSH, a RELIABLE (delivered once, in order, across reconnects) or a REQUEST. The
// client's type, so that the name means one thing on both sides.
export type { MessageKind };

/** What every REQUEST and PUSH handler receives besides the payload. */
export interface HandlerContext {
  readonly connection: ServerConnection;
  /** The session of the connection; per-client state that must survive a reconnect belongs to it. */
  readonly session: ServerSession;
  /** The topic the client sent (handlers registered on a wildcard pattern need it). */
  readonly topic: string;
  /** `push` or `reliable` for the handlers of `server.on`, `request` for those of `server.handle`. */
  readonly kind: MessageKind;
  /** The RELIABLE frame's `seq` (kind `reliable` only). */
  readonly seq?: number;
}

/**
 * Answers a REQUEST: the returned (or resolved) value becomes the REPLY; a throw becomes a FAIL. `P` is the payload
 * the handler expects and `R` what it answers: both are the application's claim, not checked at run time (the payload
 * is whatever the client sent), so a handler that cannot trust its clients checks `P` itself.
 */
export type RequestHandler<P = unknown, R = unknown> = (payload: P, ctx: HandlerContext) => R | PromiseLike<R>;

/**
 * Receives a PUSH, or a RELIABLE once it is delivered (`ctx.kind` says which); its return value is ignored (so
 * `(p, ctx) => ctx.connection.push('ack', p)` is fine), and a throw or rejection is reported as an `error` event. `P` is
 * the payload the handler expects: the application's claim, not checked at run time.
 */
export type PushHandler<P = unknown> = (payload: P, ctx: HandlerContext) => unknown;
