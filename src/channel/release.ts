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

/**
 * What a channel lets go of when a connection is lost ({@link connection}), when the channel stops waiting for one
 * ({@link pending}) and when it ends ({@link everything}). The state machine decides when; its own timers stay there.
 */
export class Release {
  constructor(
    private readonly context: ChannelContext,
    private readonly receiver: Receiver,
    private readonly heartbeat: Heartbeat,
    private readonly sender: Sender,
    private readonly sessionState: ClientSession,
    private readonly requests: PendingRequests,
    private readonly router: Router,
  ) {}

  /**
   * Abandons the current socket: later callbacks from it are ignored, in-flight requests fail (with the close or BYE
   * code and reason that ended the connection, when there is one).
   */
  connection(code: number, reason: string, ended?: { code?: number; closeReason?: string }): void {
    const context = this.context;
    const connection = context.status.replace(undefined);
    const wasOpen = connection !== undefined && connection.open;
    if (connection) connection.abandon();
    this.receiver.clear();
    this.heartbeat.stop();
    for (const topic of this.sender.discard()) context.drop(topic, 'disconnected');
    this.sessionState.pause();
    const by = ended?.code !== undefined ? `: ${ended.code} ${ended.closeReason ?? ''}` : '';
    this.requests.rejectInFlight(
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
    this.requests.rejectAll(() => new DisconnectedError(DisconnectedErrorCode.Closed, message, closeCode, closeReason));
    this.sessionState.close(
      () => new DisconnectedError(DisconnectedErrorCode.Closed, `${message}: the RELIABLE message was not acknowledged`, closeCode, closeReason),
    );
    this.sender.clearOutbox();
  }

  /** Ends in `closed` (for `reason`): every socket, pending promise, subscriber and listener released. */
  everything(reason: string): void {
    const context = this.context;
    const status = context.status;
    this.sessionState.pause();
    this.sender.discard();
    const connection = status.replace(undefined);
    if (connection) connection.abandon();
    this.receiver.clear();
    if (connection) connection.close(CloseCode.Normal, 'closed');
    this.pending(`channel "${context.name}" closed`);
    this.router.close(`channel "${context.name}" closed`);
    status.set(ChannelState.Closed, reason);
    context.events.removeAllListeners();
  }
}
