import type { FrameCodec } from '../../src/wire/codec';
import type { Session } from '../sessions/session';
import type { Sessions } from '../sessions/sessions';
import type { Emitter, ServerEventMap } from './events';
import type { Handlers } from './handlers';
import type { ResolvedServerOptions } from './options';
import type { Traffic } from './traffic';

/** What a connection (`C`: the server's `Connection`, named here without importing it) needs from the server that owns it. */
export interface ConnectionHost<C> {
  readonly options: ResolvedServerOptions;
  readonly handlers: Handlers;
  readonly events: Emitter<ServerEventMap>;
  readonly sessions: Sessions;
  /** The codec of every connection: a decode ends before a handler runs, an encoded frame is copied into its batch. */
  readonly codec: FrameCodec;
  /** Counts every message and frame in and out (the metrics read it). */
  readonly traffic: Traffic;
  /**
   * The handshake succeeded and WELCOME (with any retransmitted frames after it) is queued; `resync` when the client
   * asked to resume a session that was not held any more.
   */
  opened(connection: C, session: Session, resumed: boolean, resync: boolean): void;
  /** The socket is gone; `welcomed` says whether `opened` was called for it. */
  closed(connection: C, code: number, reason: string, welcomed: boolean): void;
}
