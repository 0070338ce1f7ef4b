import { CloseCode } from '../../src/codes';
import { checkCloseOption } from '../../src/transport/types';
import { clampReason } from './close-reason';
import { checkDuration } from './options';
import type { Connection } from './connection';
import type { Emitter, ServerEventMap } from './events';
import type { Sessions } from '../sessions/sessions';
import type { ServerState } from './state';

/** How `server.close()` says goodbye. */
export interface CloseOptions {
  /** BYE and close code sent to every client. Default 1000; 4000 asks clients to come back (a restart). */
  code?: number;
  /** BYE and close reason, cut to 123 UTF-8 bytes. Default `server closing`. */
  reason?: string;
  /**
   * Keep every session (and so its chat rooms) in the server's state for the next server built with it, instead of
   * ending them with reason `server_closed`; pair it with code 4000 so that clients come back and resume. Default: true
   * when the server was given a `state` (from `createMemoryState()`), false otherwise.
   */
  keepSessions?: boolean;
  /**
   * Retry hint sent in every BYE (PROTOCOL.md section 3, Closing): each client reconnects after a random delay below
   * it, in place of its own backoff, so that a fleet comes back spread over this window. A few hundred ms suits a
   * rolling restart behind a proxy with other live processes; the length of a restart suits a single process.
   * Default: none (clients use their backoff).
   */
  retryMs?: number;
}

/** What a closing server hands over: everything that must be closed, and the state it gives back. */
export interface ClosingServer {
  /** Stops taking new clients and settles once the listener is closed (at once if `listen()` was never called). */
  stopListening(): Promise<void>;
  /** Every socket, handshaking ones included. */
  readonly sockets: Iterable<Connection>;
  readonly registry: Sessions;
  readonly state: ServerState;
  readonly emitter: Emitter<ServerEventMap>;
  /** What claimed `state`, to release it. */
  readonly holder: object;
}

/**
 * A server's close, in two steps: `closed` settles once the listener and every socket are closed, the sessions left
 * in a shared store wrote what it lacked, and the state is released; `start()` then emits `close` and sends every
 * client BYE. The server keeps `closed` before it calls `start()`, so that a listener calling `close()` again gets it.
 * @throws {UsageError} `invalid_close_code` for a code other than 1000 or 3000–4999; `invalid_option` for a bad
 * `retryMs`.
 */
export function closeServer(server: ClosingServer, options: CloseOptions): { closed: Promise<void>; start(): void } {
  const code = options.code ?? CloseCode.Normal;
  checkCloseOption({ code });
  const reason = clampReason(options.reason ?? 'server closing');
  if (options.retryMs !== undefined) checkDuration('retryMs', options.retryMs, 0);
  const { registry, state } = server;
  const listenerClosed = server.stopListening();
  const sockets = [...server.sockets];
  const keep = options.keepSessions ?? state.shared;
  // Sessions left in a shared store write what it lacks before the close is over (attached ones end as their
  // connections close).
  const closed = Promise.all([listenerClosed, ...sockets.map((c) => c.whenClosed)])
    .then(() => registry.stored())
    .then(() => state.release(server.holder));
  const start = (): void => {
    server.emitter.emit('close', { code, reason });
    // Sessions waiting for a resume end (or are kept) now; attached ones as their connections close.
    registry.close(keep);
    for (const connection of sockets) connection.shutdown(code, reason, options.retryMs);
  };
  return { closed, start };
}
