import type { ProtocolError } from '../../src/errors';
import type { LimitName } from './abuse';
import type { ServerConnection, ServerSession, SessionEndReason } from './types';

/** A connection finished its handshake (WELCOME was sent); it is in `server.connections` from now on. */
export interface ConnectionEvent {
  readonly connection: ServerConnection;
  /** Its session: a new one, or the one it resumed. */
  readonly session: ServerSession;
  /** True when the client resumed a session the server still held (WELCOME `resumed`). */
  readonly resumed: boolean;
  /**
   * True when the client asked to resume a session the server no longer held (its window passed, or it was lost): it
   * got a new one, and its `resync` event tells it to reload what it missed.
   */
  readonly resync: boolean;
}

/** One valid WebSocket message arrived: how many frames it carried and its size (for metrics and tests). */
export interface MessageEvent {
  readonly connection: ServerConnection;
  readonly frames: number;
  readonly bytes: number;
}

/** A connection that had its `connection` event closed; `code` and `reason` are the BYE sent, or the client's close. */
export interface DisconnectEvent {
  readonly connection: ServerConnection;
  readonly code: number;
  readonly reason: string;
}

/**
 * Something failed that nobody else will hear of: a PUSH handler or hook threw, a handler threw without a string
 * `code` (its FAIL says `internal`), a reply could not be encoded, a handler answered a REQUEST after its connection
 * closed (`disconnected`: the answer is dropped), a socket failed. Never carries a HELLO's token.
 */
export interface ErrorEvent {
  readonly error: Error;
  readonly connection?: ServerConnection;
}

/** A client broke the protocol; the server sent BYE `closeCode` (4400 or 4103) or `ws` closed it (1009, 1002, 1007). */
export interface ProtocolErrorEvent {
  readonly error: ProtocolError;
  readonly connection: ServerConnection;
  readonly closeCode: number;
}

/**
 * A client went over an abuse limit: a connection over its message or byte rate got BYE 4002, or a socket over
 * `maxConnectionsPerAddress` was refused at the upgrade with HTTP 429 (then there is no `connection`).
 */
export interface LimitedEvent {
  readonly limit: LimitName;
  readonly remoteAddress: string;
  readonly connection?: ServerConnection;
}

/** A session was freed (the session layer's own memory returns to zero); state kept per session should go with it. */
export interface SessionEndEvent {
  readonly session: ServerSession;
  readonly reason: SessionEndReason;
  /**
   * True when only this server's copy ended and the session lives on in the shared session store, where its client
   * resumes it on another process: another process took it (`moved`), or this server closed and left it there
   * (`server_closed` with a `sessionStore`). Modules then drop what they hold for it here but keep what they noted in
   * it (`Session.note`: its chat rooms, its game player), which goes with it. False when it ended for good.
   */
  readonly livesOn: boolean;
}

/** `close()` was called: modules installed on the server stop their timers. Sockets and sessions close after it. */
export interface ServerCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/** The server's events: each listener gets one context object. */
export interface ServerEventMap {
  connection: ConnectionEvent;
  message: MessageEvent;
  disconnect: DisconnectEvent;
  error: ErrorEvent;
  protocolError: ProtocolErrorEvent;
  limited: LimitedEvent;
  sessionEnd: SessionEndEvent;
  close: ServerCloseEvent;
}

/** The subscribing half of an emitter: every subscription returns the function that undoes it. */
export interface EventSource<M extends object> {
  on<K extends keyof M & string>(name: K, listener: (event: M[K]) => void): () => void;
  once<K extends keyof M & string>(name: K, listener: (event: M[K]) => void): () => void;
  listenerCount(name: keyof M & string): number;
}

/**
 * The runtime's typed emitter: `emit` never throws (a listener that throws is reported to `onListenerError` and the
 * others still run), so a bad listener can never unwind into a socket callback.
 */
export { Emitter } from '../../src/emitter';
