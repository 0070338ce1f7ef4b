import { Timer } from '../time/timer';
import { CloseCode, DisconnectedErrorCode, isTerminalCloseCode, ProtocolErrorCode } from '../codes';
import { ConnectionAttempt, type AttemptHandler } from './attempt';
import { DisconnectedError, type MultisocketError, ProtocolError, TimeoutError } from '../errors';
import type { Heartbeat } from './heartbeat';
import type { ResolvedChannelOptions } from './options';
import { Reconnect } from './reconnect';
import { PROTOCOL_VERSION, type Welcome } from '../wire/protocol';
import type { PendingRequests } from '../reliable/requests';
import type { ClientSession } from '../reliable/client-session';
import { Receiver, type ReceivedEvents, type RoundTrip } from './receiver';
import type { Router } from '../routing/router';
import type { Sender } from './sender';
import { ChannelState, StateReason } from './state';
import type { ChannelContext } from './status';

/**
 * The channel's state machine: the transitions of the table in state.ts. It starts each {@link ConnectionAttempt},
 * answers the handshake, and on a lost connection decides between a reconnect after backoff and giving up; closing,
 * suspending and ending for good release every timer and pending promise. The state itself lives in the context's
 * {@link ChannelStatus}, which only this class changes.
 */
export class StateMachine {
  /** Receives the frames of every attempt; made here because its handshake frames and failures come back here. */
  private readonly receiver: Receiver;
  private readonly reconnect: Reconnect;
  private readonly connectTimer: Timer;
  private readonly closingTimer: Timer;

  constructor(
    private readonly context: ChannelContext,
    private readonly options: ResolvedChannelOptions,
    private readonly sender: Sender,
    private readonly heartbeat: Heartbeat,
    private readonly sessionState: ClientSession,
    private readonly requests: PendingRequests,
    private readonly router: Router,
    roundTrip: RoundTrip,
  ) {
    this.receiver = new Receiver(context, options.receiveTurnMs, router, requests, sessionState, heartbeat, sender, roundTrip, this.received);
    const clock = options.clock;
    this.connectTimer = new Timer(clock, () =>
      this.lost(StateReason.ConnectTimeout, {
        error: new TimeoutError(`no WELCOME within connectTimeoutMs ${options.connectTimeoutMs}`, options.connectTimeoutMs),
      }),
    );
    // A resume that was overtaken (by an immediate resume, say) finds the channel no longer suspended and does nothing.
    const resume = (reason: string): void => {
      if (this.context.status.state === ChannelState.Suspended) this.startAttempt(reason);
    };
    this.reconnect = new Reconnect(clock, options, context.events, () => this.startAttempt(StateReason.Backoff), resume);
    this.closingTimer = new Timer(clock, () => this.finalize(StateReason.Closed));
  }

  /** Reconnect attempts since the connection was last stable. */
  get attempts(): number {
    return this.reconnect.attempts;
  }

  /** Number of timers armed here and in the receiver. */
  get activeTimers(): number {
    return [this.connectTimer, this.closingTimer].filter((t) => t.armed).length + this.reconnect.activeTimers + (this.receiver.armed ? 1 : 0);
  }

  /** Starts connecting. Does nothing unless the channel is idle. */
  connect(): void {
    if (this.context.status.state === ChannelState.Idle) this.startAttempt(StateReason.Connect);
  }

  /** `Channel.close` once the code and reason are known good. */
  close(code: number, reason: string): void {
    const status = this.context.status;
    if (status.ended) return;
    this.stopTimers();
    const connection = status.connection;
    if (!connection || !connection.hasSocket) {
      this.finalize(StateReason.CloseRequested);
      return;
    }
    if (connection.open) {
      this.sessionState.flushAck();
      this.sender.flush();
      // A send that failed during the flush has already dropped the connection and armed a reconnect: end here.
      if (status.connection !== connection) {
        this.stopTimers();
        this.finalize(StateReason.CloseRequested);
        return;
      }
    }
    status.set(ChannelState.Closing, StateReason.CloseRequested);
    this.releasePending(`channel "${this.context.name}" closed`);
    this.closingTimer.schedule(this.options.connectTimeoutMs);
    // Before onOpen the platform ignores this; the attempt's open handler then closes again.
    connection.close(code, reason);
  }

  /** `Channel.suspend`: drop the socket and wait, without spending reconnect attempts. */
  suspend(reason: string): void {
    const status = this.context.status;
    if (status.ended) return;
    if (status.state === ChannelState.Suspended) {
      // Suspended again (offline during the show stagger, say): the pending resume no longer holds.
      this.reconnect.cancelResume();
      return;
    }
    this.reconnect.cancelBackoff();
    this.detach(CloseCode.Normal, 'suspended');
    if (status.ended) return;
    status.set(ChannelState.Suspended, reason);
  }

  /** `Channel.resume`: connect after `delayMs` (0: now). */
  resume(reason: string, delayMs: number): void {
    if (this.context.status.state !== ChannelState.Suspended) return;
    if (delayMs > 0) this.reconnect.resumeAfter(reason, delayMs);
    else this.startAttempt(reason);
  }

  private startAttempt(reason: string): void {
    const status = this.context.status;
    const connection = new ConnectionAttempt(this.options, this.context.name, this.context.codec.limits, () => this.sessionState.helloFields(), this.receiver, this.attemptEvents);
    // A new attempt supersedes any other.
    status.replace(connection)?.abandon();
    status.set(ChannelState.Connecting, reason);
    // A state listener may have closed or suspended the channel.
    if (!connection.current || status.state !== ChannelState.Connecting) return;
    this.connectTimer.schedule(this.options.connectTimeoutMs);
    connection.start();
  }

  /** What the receiver reports: the handshake's answer, a BYE, or a protocol violation that drops the connection. */
  private readonly received: ReceivedEvents = {
    welcome: (welcome) => this.welcome(welcome),
    bye: (code, reason, retryMs) => this.bye(code, reason, retryMs),
    lost: (error) => (this.context.status.state === ChannelState.Handshaking ? this.wrongServer(error) : this.lost(StateReason.ProtocolError, { error })),
  };

  /**
   * The answer to HELLO was not a WELCOME or a BYE (an echo, text, bytes that are not msgpack): whatever listens at the
   * URL does not speak this protocol, and will not on the next attempt either. The channel ends, saying so.
   */
  private wrongServer(cause: MultisocketError): void {
    const error = new ProtocolError(
      cause instanceof ProtocolError ? cause.code : ProtocolErrorCode.Malformed,
      `the server at ${this.options.url} does not speak the multisocket protocol (it answered HELLO with: ${cause.message}); is the URL right, and is it a multisocket server?`,
    );
    this.context.events.emit('error', error);
    this.releasePending(`channel "${this.context.name}" closed: ${error.message}`);
    this.finalize(StateReason.ProtocolError);
  }

  /** The lifecycle's side of every {@link ConnectionAttempt}: each callback comes from the current attempt only. */
  private readonly attemptEvents: AttemptHandler = {
    wanted: (connection) => connection.current && this.context.status.state === ChannelState.Connecting,
    failed: (reason, error) => this.lost(reason, { error }),
    refused: (error) => {
      this.stopTimers();
      this.context.events.emit('error', error);
      this.finalize(StateReason.InvalidConfig);
    },
    opened: (connection, hello) => {
      const status = this.context.status;
      if (status.state === ChannelState.Closing) {
        connection.close(CloseCode.Normal, 'client closed');
        return;
      }
      status.set(ChannelState.Handshaking, StateReason.SocketOpen);
      if (!connection.current || status.state !== ChannelState.Handshaking) return;
      this.sender.transmit(hello(), 1, []);
    },
    dropped: (connection, reason, info) => {
      if (this.context.status.state !== ChannelState.Closing) {
        this.lost(reason, info);
        return;
      }
      // The close asked for is done once the socket closes, or fails before it opened; a failed send changes nothing.
      if (reason === StateReason.SocketClosed || (reason === StateReason.SocketError && !connection.open)) this.finalize(StateReason.Closed);
    },
  };

  private welcome(welcome: Welcome): void {
    const status = this.context.status;
    if (welcome.v !== PROTOCOL_VERSION) {
      this.context.events.emit('error', new ProtocolError(ProtocolErrorCode.UnsupportedVersion, `server speaks protocol v${welcome.v}, this runtime v${PROTOCOL_VERSION}`));
      this.terminate(CloseCode.UnsupportedVersion, 'unsupported protocol version');
      return;
    }
    const problem = this.sessionState.resumeProblem(welcome);
    if (problem) {
      // Resuming would leave a gap this side cannot fill: start a new session instead (it will report this one lost).
      this.sessionState.forget();
      this.lost(StateReason.ProtocolError, { error: new ProtocolError(ProtocolErrorCode.InconsistentResume, problem) });
      return;
    }
    this.connectTimer.cancel();
    if (this.reconnect.opened()) this.context.counters.reconnects++;
    this.heartbeat.start();
    // First what the session owes the server (RELIABLE frames it lacks), then what waited in the outbox, in order,
    // before anything sent from the listeners below. A send made meanwhile (by a `dropped` listener, say) goes straight
    // out too: draining counts as live.
    const connection = status.connection;
    const { resumed, lostSession } = status.whileDraining(() => {
      const outcome = this.sessionState.welcome(welcome);
      this.sender.drainOutbox();
      return outcome;
    });
    if (!connection || !connection.current) return;
    status.set(ChannelState.Open, StateReason.Welcome);
    if (!connection.current || status.state !== ChannelState.Open) return;
    this.context.events.emit('open', { session: welcome.session, resumed, welcome });
    // An open listener may have closed the channel: a closing channel has nothing to resynchronise.
    if (lostSession !== undefined && connection.current && status.state === ChannelState.Open) {
      this.context.events.emit('resync', { previousSession: lostSession, session: welcome.session });
    }
  }

  private bye(code: number, reason: string, retryMs: number | undefined): void {
    if (isTerminalCloseCode(code)) this.terminate(code, reason);
    else this.lost(StateReason.Bye, { code, closeReason: reason, retryMs });
  }

  /** The connection was lost (`reason`, a {@link StateReason}): reconnect after backoff, give up, or end for good. */
  lost(reason: string, info: { code?: number; closeReason?: string; error?: Error; retryMs?: number | undefined }): void {
    const status = this.context.status;
    if (status.down()) return;
    const { code, closeReason } = info;
    let error = info.error;
    if (!error && code === CloseCode.ProtocolError) {
      error = new ProtocolError(ProtocolErrorCode.PeerRejected, `the server closed the connection with ${code}: ${closeReason ?? ''}`);
    }
    if (code !== undefined && isTerminalCloseCode(code)) {
      if (error) this.context.events.emit('error', error as MultisocketError);
      this.terminate(code, closeReason ?? '');
      return;
    }
    this.detach(CloseCode.Normal, reason);
    if (error) this.context.events.emit('error', error as MultisocketError);
    // Any listener above may have closed or suspended the channel.
    if (status.down()) return;
    const next = this.reconnect.next({ reason, code, error }, info.retryMs);
    if (!next) {
      this.finalize(StateReason.GaveUp);
      return;
    }
    const { attempt, delayMs } = next;
    status.set(ChannelState.Reconnecting, reason);
    if (status.state !== ChannelState.Reconnecting) return;
    this.context.events.emit('reconnecting', { attempt, delayMs, reason, code, closeReason });
    if (status.state === ChannelState.Reconnecting) this.reconnect.schedule(delayMs);
  }

  /** Abandons the current socket: later callbacks from it are ignored, in-flight requests fail. */
  private detach(code: number, reason: string): void {
    const connection = this.context.status.replace(undefined);
    const wasOpen = connection !== undefined && connection.open;
    if (connection) connection.abandon();
    this.receiver.clear();
    this.heartbeat.stop();
    this.connectTimer.cancel();
    this.reconnect.unstable();
    for (const topic of this.sender.discard()) this.context.drop(topic, 'disconnected');
    this.sessionState.pause();
    this.requests.rejectInFlight(
      () => new DisconnectedError(DisconnectedErrorCode.Disconnected, `channel "${this.context.name}" lost its connection (${reason}) with the request in flight`),
    );
    // Not yet open: a browser socket aborts now, and wxTransport remembers the close and carries it out on open (the
    // platform ignores a close before open); the attempt's stale check on open is the last line of defence.
    if (connection) connection.close(code, wasOpen ? reason.slice(0, 100) : 'abandoned');
  }

  private terminate(code: number, reason: string): void {
    this.context.events.emit('terminal', { code, reason });
    // Before detach, which would fail a request in flight as a bare disconnect: every promise hears the code and reason.
    this.releasePending(`channel "${this.context.name}" closed for good: ${code} ${reason}`, code, reason);
    this.detach(CloseCode.Normal, 'terminal');
    this.stopTimers();
    this.finalize(StateReason.Terminal);
  }

  private stopTimers(): void {
    this.connectTimer.cancel();
    this.reconnect.stop();
    this.heartbeat.stop();
  }

  private releasePending(message: string, closeCode?: number, closeReason?: string): void {
    this.requests.rejectAll(() => new DisconnectedError(DisconnectedErrorCode.Closed, message, closeCode, closeReason));
    this.sessionState.close(
      () => new DisconnectedError(DisconnectedErrorCode.Closed, `${message}: the RELIABLE message was not acknowledged`, closeCode, closeReason),
    );
    this.sender.clearOutbox();
  }

  /** Ends in `closed`: every timer, socket, pending promise and listener released. */
  private finalize(reason: string): void {
    const status = this.context.status;
    if (status.state === ChannelState.Closed) return;
    this.stopTimers();
    this.closingTimer.cancel();
    this.sessionState.pause();
    this.sender.discard();
    const connection = status.replace(undefined);
    if (connection) connection.abandon();
    this.receiver.clear();
    if (connection) connection.close(CloseCode.Normal, 'closed');
    this.releasePending(`channel "${this.context.name}" closed`);
    this.router.close(`channel "${this.context.name}" closed`);
    status.set(ChannelState.Closed, reason);
    this.context.events.removeAllListeners();
  }
}
