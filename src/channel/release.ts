import { CloseCode, DisconnectedErrorCode } from '../codes';
import { DisconnectedError } from '../errors';
import type { Heartbeat } from './heartbeat';
import type { PendingRequests } from '../reliable/requests';
import type { ClientSession } from '../reliable/client-session';
import type { Receiver } from './receiver';
import type { Router } from '../routing/router';
import type { Sender } from './sender';
import { ChannelState } from './state';
import type { ChannelContext } from './status';

/** The parts of a channel that hold sockets, frames and promises, which {@link Release} lets go of. */
export interface Holders {
  readonly context: ChannelContext;
  readonly receiver: Receiver;
  readonly heartbeat: Heartbeat;
  readonly sender: Sender;
  readonly sessionState: ClientSession;
  readonly requests: PendingRequests;
  readonly router: Router;
}

/**
 * What a channel lets go of when a connection is lost ({@link connection}), when the channel stops waiting for one
 * ({@link pending}) and when it ends ({@link everything}). The state machine decides when; its own timers stay there.
 */
export class Release {
  constructor(private readonly parts: Holders) {}

  /**
   * Abandons the current socket: later callbacks from it are ignored, in-flight requests fail (with the close or BYE
   * code and reason that ended the connection, when there is one).
   */
  connection(code: number, reason: string, ended?: { code?: number; closeReason?: string }): void {
    const { context, receiver, heartbeat, sender, sessionState, requests } = this.parts;
    const connection = context.status.replace(undefined);
    const wasOpen = connection !== undefined && connection.open;
    if (connection) connection.abandon();
    receiver.clear();
    heartbeat.stop();
    for (const topic of sender.discard()) context.drop(topic, 'disconnected');
    sessionState.pause();
    const by = ended?.code !== undefined ? `: ${ended.code} ${ended.closeReason ?? ''}` : '';
    requests.rejectInFlight(
      () =>
        new DisconnectedError(
          DisconnectedErrorCode.Disconnected,
          `channel "${context.name}" lost its connection (${reason}${by}) with the request in flight`,
          ended?.code,
          ended?.closeReason,
        ),
    );
    // Not yet open: a browser socket aborts now, and wxTransport remembers the close and carries it out on open (the
    // platform ignores a close before open); the attempt's stale check on open is the last line of defence.
    if (connection) connection.close(code, wasOpen ? reason.slice(0, 100) : 'abandoned');
  }

  /** Fails every pending request and unacknowledged RELIABLE message with `message`, and empties the outbox. */
  pending(message: string, closeCode?: number, closeReason?: string): void {
    const { requests, sessionState, sender } = this.parts;
    requests.rejectAll(() => new DisconnectedError(DisconnectedErrorCode.Closed, message, closeCode, closeReason));
    sessionState.close(
      () => new DisconnectedError(DisconnectedErrorCode.Closed, `${message}: the RELIABLE message was not acknowledged`, closeCode, closeReason),
    );
    sender.clearOutbox();
  }

  /** Ends in `closed` (for `reason`): every socket, pending promise, subscriber and listener released. */
  everything(reason: string): void {
    const { context, receiver, sender, sessionState, router } = this.parts;
    const status = context.status;
    sessionState.pause();
    sender.discard();
    const connection = status.replace(undefined);
    if (connection) connection.abandon();
    receiver.clear();
    if (connection) connection.close(CloseCode.Normal, 'closed');
    this.pending(`channel "${context.name}" closed`);
    router.close(`channel "${context.name}" closed`);
    status.set(ChannelState.Closed, reason);
    context.events.removeAllListeners();
  }
}
