// The public shapes of a channel: its events, per-send options and stats snapshot.
import type { MultisocketError } from '../errors';
import type { ChannelFailure } from './failure';
import type { DropReason, OutboxPolicy } from './outbox';
import type { Welcome } from '../wire/protocol';
import type { ChannelState } from './state';

/** Events of a channel; each listener gets one context argument. */
export interface ChannelEvents {
  state: { previous: ChannelState; next: ChannelState; reason: string };
  /** WELCOME arrived: the channel is open. */
  open: { session: string; resumed: boolean; welcome: Welcome };
  /** Something went wrong that the channel handled (it never throws from a socket callback). */
  error: MultisocketError;
  /**
   * The connection (or the attempt) was lost and another comes after `delayMs`. `error` says why: the socket's
   * `TransportError` (a refused or unreachable URL, an upgrade answered 403 or 404), a `TimeoutError`, a
   * `ProtocolError`, or a `DisconnectedError` `disconnected` with the close or BYE `code` and `closeReason`.
   */
  reconnecting: { attempt: number; delayMs: number; reason: string; code?: number; closeReason?: string; error: MultisocketError };
  /** A 4100–4199 close or BYE: the channel is closed for good. */
  terminal: { code: number; reason: string };
  /** A message left without being sent, and why. Counted in `stats().dropped`. */
  dropped: { topic: string; reason: DropReason };
  pong: { rtt: number; offset: number };
  /**
   * The server no longer held this channel's session (the resume window passed, or it restarted): RELIABLE messages it
   * had sent but this side had not acknowledged are lost to the protocol, so reload what was missed. Unacknowledged
   * outgoing RELIABLE messages are sent again, first, in the new session.
   */
  resync: { previousSession: string; session: string };
}

/** Per-send options. */
export interface SendOptions {
  /** Overrides the channel's outbox policy for this message. */
  policy?: OutboxPolicy;
  /** While waiting in the outbox, the message goes stale after this long and is dropped, ms. */
  ttlMs?: number;
}

/** A snapshot of a channel's counters. */
export interface ChannelStats {
  name: string;
  state: ChannelState;
  rtt: number | undefined;
  clockOffset: number | undefined;
  /** Times a connection was established again after the first. */
  reconnects: number;
  /** Reconnect attempts since the connection was last stable. */
  attempt: number;
  framesSent: number;
  framesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  queued: number;
  queuedBytes: number;
  dropped: number;
  pendingRequests: number;
  protocolErrors: number;
  /** RELIABLE messages sent and not yet acknowledged, and their bytes. */
  unacked: number;
  unackedBytes: number;
  /** The last RELIABLE seq delivered from the server in this session. */
  recv: number;
  /** Why the channel is not open: its last failure, cleared when a WELCOME opens it (see {@link ChannelFailure}). */
  lastError: ChannelFailure | undefined;
}
