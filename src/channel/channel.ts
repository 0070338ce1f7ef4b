import { backoffDelay } from '../time/backoff';
import { type ChannelCounters, createCounters } from './counters';
import { Inbound, type InboundHost } from './inbound';
import { type ChannelOptions, type ReconnectInfo, resolveChannelOptions, type ResolvedChannelOptions } from './options';
import { Outbound, type OutboundHost } from './outbound';
import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';
import { FrameCodec } from '../wire/codec';
import {
  CloseCode,
  DisconnectedErrorCode,
  isTerminalCloseCode,
  ProtocolErrorCode,
  TransportErrorCode,
  UsageErrorCode,
} from '../codes';
import { ConnectionAttempt, type AttemptHandler, socketError } from './attempt';
import { Emitter } from '../emitter';
import {
  DisconnectedError,
  MultisocketError,
  ListenerError,
  ProtocolError,
  TimeoutError,
  TransportError,
  UsageError,
  type SubscriberError,
} from '../errors';
import { Heartbeat } from './heartbeat';
import { type DropReason, Outbox } from './outbox';
import { Op, PROTOCOL_VERSION, type Welcome } from '../wire/protocol';
import { PendingRequests } from '../reliable/requests';
import { ClientSession } from '../reliable/client-session';
import type { ChannelEvents, ChannelStats, SendOptions } from './types';

export type { ChannelEvents, ChannelStats, SendOptions } from './types';
import { type Subscriber, Router, type WaitForOptions } from '../routing/router';
import { ChannelState, StateReason } from './state';
import { validateTopic } from '../routing/topics';
import { checkCloseOption } from '../transport/types';

/**
 * One socket to one URL with its own heartbeat, outbox, batching and reconnect policy. Created by
 * `ConnectionManager.open`, or directly with a `transport` in the options.
 *
 * The channel is the state machine; each connection attempt is a {@link ConnectionAttempt}, the receiving half an
 * {@link Inbound} and the sending half an {@link Outbound}.
 */
export class Channel {
  // A listener that throws is reported and skipped: an application bug must never look like a broken connection.
  private readonly events = new Emitter<ChannelEvents>((event, error) => this.listenerFailed(event, error));
  readonly options: ResolvedChannelOptions;
  private readonly clock: Clock;
  private readonly codec: FrameCodec;
  private readonly router: Router;
  private readonly outbox: Outbox;
  private readonly requests: PendingRequests;
  private readonly heartbeat: Heartbeat;
  private readonly sessionState: ClientSession;
  private readonly inbound: Inbound;
  private readonly outbound: Outbound;
  private readonly connectTimer: Timer;
  private readonly backoffTimer: Timer;
  private readonly stableTimer: Timer;
  private readonly closingTimer: Timer;
  private readonly resumeTimer: Timer;
  private resumeReason = '';

  private current: ChannelState = ChannelState.Idle;
  /** True while the outbox is being flushed after WELCOME: sends made meanwhile go straight out, in order. */
  private draining = false;
  /** The current attempt, replaced for every attempt: a callback from an older one finds it stale and does nothing. */
  private connection: ConnectionAttempt | undefined;
  private attempt = 0;
  private everOpened = false;
  private readonly counters: ChannelCounters = createCounters();

  /** @throws {UsageError} `invalid_option` naming the first bad option. */
  constructor(
    readonly name: string,
    options: Readonly<Partial<ChannelOptions>> & { url: string },
  ) {
    this.options = resolveChannelOptions(options);
    this.clock = this.options.clock;
    this.codec = new FrameCodec(this.options.limits);
    if (this.options.maxBatchBytes > this.codec.limits.maxFrameBytes) {
      throw new UsageError(UsageErrorCode.InvalidOption, `option maxBatchBytes (${this.options.maxBatchBytes}) must not exceed limits.maxFrameBytes (${this.codec.limits.maxFrameBytes})`);
    }
    this.router = new Router(name, this.clock, (error: SubscriberError) => this.events.emit('error', error));
    this.outbox = new Outbox(this.options.outbox, (entry, reason) => this.reportDrop(entry.topic, reason));
    this.requests = new PendingRequests(this.clock);
    this.heartbeat = new Heartbeat(this.clock, this.options.heartbeat, {
      ping: (clientTime) => {
        // A PING leaves at once, never held for a tick: time spent in the batch would count as network delay on one
        // leg only, skewing both rtt and the clock offset by half of it.
        this.outbound.sendFrame([Op.Ping, clientTime]);
        this.outbound.batcher.flush();
      },
      dead: (silentForMs) =>
        this.connectionLost(StateReason.HeartbeatTimeout, {
          error: new TimeoutError(`no sign of life for ${silentForMs} ms after a PING: the connection is dead`, this.options.heartbeat.timeoutMs),
        }),
    });
    // What the receiving and the sending half ask of the channel: one object serves both.
    const host: InboundHost & OutboundHost = {
      name,
      events: this.events,
      state: () => this.current,
      connection: () => this.connection,
      live: () => this.isLive(),
      ended: () => this.ended,
      drop: (topic, reason) => this.reportDrop(topic, reason),
      welcome: (welcome) => this.welcome(welcome),
      bye: (code, reason) => this.bye(code, reason),
      lost: (error) => this.connectionLost(StateReason.ProtocolError, { error }),
    };
    this.outbound = new Outbound(host, this.options, this.clock, this.codec, this.outbox, this.requests, this.heartbeat, this.counters);
    this.sessionState = new ClientSession(this.clock, this.options.reliable, this.codec, (frame) => {
      if (!this.isLive()) return false;
      this.outbound.batcher.add(frame, undefined);
      return true;
    });
    this.inbound = new Inbound(host, this.outbound, this.clock, this.codec, this.options.receiveTurnMs, this.router, this.requests, this.sessionState, this.heartbeat, this.counters);
    this.connectTimer = new Timer(this.clock, () =>
      this.connectionLost(StateReason.ConnectTimeout, {
        error: new TimeoutError(`no WELCOME within connectTimeoutMs ${this.options.connectTimeoutMs}`, this.options.connectTimeoutMs),
      }),
    );
    this.backoffTimer = new Timer(this.clock, () => this.startAttempt(StateReason.Backoff));
    this.stableTimer = new Timer(this.clock, () => {
      this.attempt = 0;
    });
    this.closingTimer = new Timer(this.clock, () => this.finalize(StateReason.Closed));
    this.resumeTimer = new Timer(this.clock, () => {
      if (this.current === ChannelState.Suspended) this.startAttempt(this.resumeReason);
    });
  }

  /** Listens to a channel event; returns the function that stops listening. */
  on<K extends keyof ChannelEvents & string>(event: K, listener: (context: ChannelEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Number of event listeners attached (0 once closed: closing releases them). */
  get listenerCount(): number {
    return this.events.listenerCount();
  }

  get state(): ChannelState {
    return this.current;
  }

  /** The last measured round-trip time, ms (undefined before the first PONG). */
  get rtt(): number | undefined {
    return this.inbound.rtt;
  }

  /** The session id from the last WELCOME. */
  get session(): string | undefined {
    return this.sessionState.sessionId;
  }

  /** The server's clock as estimated from the last PONG (or this clock before any). */
  serverNow(): number {
    return this.clock.now() + (this.inbound.offset || 0);
  }

  /** Starts connecting (the manager calls it on `open`). Does nothing unless the channel is idle. */
  connect(): void {
    if (this.current === ChannelState.Idle) this.startAttempt(StateReason.Connect);
  }

  /**
   * Sends a PUSH. While not open, the outbox policy decides: `queue`, `latest` (newest per topic) or `drop`.
   * Returns false when the message was dropped (a `dropped` event says why).
   * @throws {UsageError} for a bad topic, a payload msgpack cannot carry or one over `maxFrameBytes`, or a closed channel.
   */
  send(topic: string, payload?: unknown, options: SendOptions = {}): boolean {
    validateTopic(topic);
    this.assertUsable();
    return this.outbound.push(topic, payload, options);
  }

  /**
   * Sends a REQUEST and resolves with the REPLY's payload.
   * @throws (rejects) {TimeoutError} at the deadline, {DisconnectedError} if the connection drops with the request in
   * flight or the channel closes, {RemoteError} for a FAIL, {QueueFullError} if the outbox refused it.
   */
  request<R = unknown>(topic: string, payload?: unknown, options: { timeoutMs?: number } = {}): Promise<R> {
    try {
      validateTopic(topic);
      this.assertUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.outbound.request<R>(topic, payload, options);
  }

  /**
   * Sends a RELIABLE message: numbered, kept until the server acknowledges it, retransmitted after a reconnect that
   * resumes the session and sent again in a new session if it does not, so it is delivered once and in order
   * (PROTOCOL.md section 5). Sent at once when open, otherwise on the next connection. Resolves when acknowledged.
   * @throws {UsageError} (synchronously) for a bad topic or payload, or a closed channel.
   * @throws (rejects) {QueueFullError} when `reliable.maxUnacked` / `maxUnackedBytes` are reached (nothing is dropped),
   * {DisconnectedError} `closed` if the channel closes before the acknowledgement.
   */
  sendReliable(topic: string, payload?: unknown): Promise<void> {
    validateTopic(topic);
    this.assertUsable();
    return this.sessionState.send(topic, payload);
  }

  /** Calls `fn` for each PUSH (and REQUEST: the first subscriber answers it) whose topic matches `pattern`. */
  subscribe<P = unknown>(pattern: string, fn: Subscriber<P>): () => void {
    this.assertUsable();
    return this.router.subscribe(pattern, fn);
  }

  once<P = unknown>(pattern: string, fn: Subscriber<P>): () => void {
    this.assertUsable();
    return this.router.once(pattern, fn);
  }

  /** Resolves with the next matching payload; rejects at once with `closed` on a closed channel. */
  waitFor<P = unknown>(pattern: string, options?: WaitForOptions<P>): Promise<P> {
    return this.router.waitFor(pattern, options);
  }

  /**
   * Closes the channel for good, in any state. Before the socket has opened the close is remembered and done the
   * moment it opens (the platform ignores a close before open). Nothing reconnects afterwards.
   * @throws {UsageError} `invalid_close_code` unless `code` is 1000 or 3000–4999 and `reason` fits 123 UTF-8 bytes.
   */
  close(code: number = CloseCode.Normal, reason = 'client closed'): void {
    checkCloseOption({ code, reason });
    if (this.current === ChannelState.Closed || this.current === ChannelState.Closing) return;
    this.stopTimers();
    const connection = this.connection;
    if (!connection || !connection.hasSocket) {
      this.finalize(StateReason.CloseRequested);
      return;
    }
    if (connection.open) {
      this.sessionState.flushAck();
      this.outbound.batcher.flush();
      // A send that failed during the flush has already dropped the connection and armed a reconnect: end here.
      if (this.connection !== connection) {
        this.stopTimers();
        this.finalize(StateReason.CloseRequested);
        return;
      }
    }
    this.setState(ChannelState.Closing, StateReason.CloseRequested);
    this.releasePending(`channel "${this.name}" closed`);
    this.closingTimer.schedule(this.options.connectTimeoutMs);
    // Before onOpen the platform ignores this; the connection's open handler then closes again.
    connection.close(code, reason);
  }

  /** Hidden past the grace period, or offline: drop the socket and wait, without spending reconnect attempts. */
  suspend(reason: string): void {
    if (this.ended) return;
    if (this.current === ChannelState.Suspended) {
      // Suspended again (offline during the show stagger, say): the pending resume no longer holds.
      this.resumeTimer.cancel();
      return;
    }
    this.backoffTimer.cancel();
    this.detach(CloseCode.Normal, 'suspended');
    if (this.ended) return;
    this.setState(ChannelState.Suspended, reason);
  }

  /** Leaves `suspended`: connect after `delayMs` (0: now), e.g. a small random stagger after the app is shown. */
  resume(reason: string, delayMs = 0): void {
    if (this.current !== ChannelState.Suspended) return;
    this.resumeReason = reason;
    if (delayMs > 0) this.resumeTimer.schedule(delayMs);
    else this.startAttempt(reason);
  }

  /**
   * Sends a PING now, when open; its PONG updates `rtt` and the clock offset (a `pong` event) and it is judged by the
   * heartbeat's deadline like any PING. Returns false when not open.
   */
  probe(): boolean {
    if (!this.isLive()) return false;
    this.heartbeat.probe();
    return true;
  }

  /** The app went to the background: stop the heartbeat (timers freeze there anyway). */
  pauseHeartbeat(): void {
    this.heartbeat.stop();
  }

  /** The app came back before the grace period ended: restart the heartbeat and probe at once. */
  resumeHeartbeat(): void {
    if (this.current !== ChannelState.Open) return;
    this.heartbeat.start();
    this.heartbeat.probe();
  }

  stats(): ChannelStats {
    return Object.assign(
      { name: this.name, state: this.current, rtt: this.inbound.rtt, clockOffset: this.inbound.offset, attempt: this.attempt },
      this.counters,
      { queued: this.outbox.count, queuedBytes: this.outbox.byteLength, pendingRequests: this.requests.size },
      this.sessionState.stats,
    );
  }

  /** Number of timers this channel has armed: 0 once it is closed. */
  get activeTimers(): number {
    return [this.connectTimer, this.backoffTimer, this.stableTimer, this.closingTimer, this.resumeTimer]
      .filter((t) => t.armed).length + (this.heartbeat.active ? 1 : 0) + (this.outbound.batcher.armed ? 1 : 0) + (this.inbound.inbox.armed ? 1 : 0);
  }

  // --- connection attempts ---------------------------------------------------------------------------------------

  private startAttempt(reason: string): void {
    // A new attempt supersedes any other.
    if (this.connection) this.connection.abandon();
    const connection = new ConnectionAttempt(this.options, this.name, this.codec.limits, () => this.sessionState.helloFields(), this.attemptEvents);
    this.connection = connection;
    this.setState(ChannelState.Connecting, reason);
    // A state listener may have closed or suspended the channel.
    if (!connection.current || this.current !== ChannelState.Connecting) return;
    this.connectTimer.schedule(this.options.connectTimeoutMs);
    connection.start();
  }

  /** The channel's side of every {@link ConnectionAttempt}: each callback comes from the current attempt only. */
  private readonly attemptEvents: AttemptHandler = {
    wanted: (connection) => connection.current && this.current === ChannelState.Connecting,
    failed: (reason, error) => this.connectionLost(reason, { error }),
    refused: (error) => {
      this.stopTimers();
      this.events.emit('error', error);
      this.finalize(StateReason.InvalidConfig);
    },
    opened: (connection, hello) => {
      if (this.current === ChannelState.Closing) {
        connection.close(CloseCode.Normal, 'client closed');
        return;
      }
      this.setState(ChannelState.Handshaking, StateReason.SocketOpen);
      if (!connection.current || this.current !== ChannelState.Handshaking) return;
      this.outbound.transmit(hello(), 1, []);
    },
    message: (_connection, data) => this.inbound.receive(data),
    error: (connection, errMsg) => {
      // What the socket delivered before the error or close comes first.
      this.inbound.inbox.flush();
      if (!connection.current) return;
      if (this.current === ChannelState.Closing) {
        if (!connection.open) this.finalize(StateReason.Closed);
        return;
      }
      this.connectionLost(StateReason.SocketError, { error: socketError(errMsg) });
    },
    closed: (connection, code, reason) => {
      this.inbound.inbox.flush();
      if (!connection.current) return;
      if (this.current === ChannelState.Closing) {
        this.finalize(StateReason.Closed);
        return;
      }
      this.connectionLost(StateReason.SocketClosed, { code, closeReason: reason });
    },
    sendFailed: (_connection, errMsg) => {
      if (this.current === ChannelState.Closing) return;
      this.connectionLost(StateReason.SendFailed, { error: new TransportError(TransportErrorCode.SendFailed, `send failed: ${errMsg}`, errMsg) });
    },
  };

  // --- the handshake's answer ------------------------------------------------------------------------------------

  private welcome(welcome: Welcome): void {
    if (welcome.v !== PROTOCOL_VERSION) {
      this.events.emit('error', new ProtocolError(ProtocolErrorCode.UnsupportedVersion, `server speaks protocol v${welcome.v}, this runtime v${PROTOCOL_VERSION}`));
      this.terminate(CloseCode.UnsupportedVersion, 'unsupported protocol version');
      return;
    }
    const problem = this.sessionState.resumeProblem(welcome);
    if (problem) {
      // Resuming would leave a gap this side cannot fill: start a new session instead (it will report this one lost).
      this.sessionState.forget();
      this.connectionLost(StateReason.ProtocolError, { error: new ProtocolError(ProtocolErrorCode.InconsistentResume, problem) });
      return;
    }
    this.connectTimer.cancel();
    if (this.everOpened) this.counters.reconnects++;
    this.everOpened = true;
    this.stableTimer.schedule(this.options.reconnect.minStableMs);
    this.heartbeat.start();
    // First what the session owes the server (RELIABLE frames it lacks), then what waited in the outbox, in order,
    // before anything sent from the listeners below. A send made meanwhile (by a `dropped` listener, say) goes straight
    // out too: draining counts as live.
    const connection = this.connection;
    this.draining = true;
    let outcome: { resumed: boolean; lostSession: string | undefined };
    try {
      outcome = this.sessionState.welcome(welcome);
      this.outbound.drainOutbox();
    } finally {
      this.draining = false;
    }
    const { resumed, lostSession } = outcome;
    if (!connection || !connection.current) return;
    this.setState(ChannelState.Open, StateReason.Welcome);
    if (!connection.current || this.current !== ChannelState.Open) return;
    this.events.emit('open', { session: welcome.session, resumed, welcome });
    // An open listener may have closed the channel: a closing channel has nothing to resynchronise.
    if (lostSession !== undefined && connection.current && this.current === ChannelState.Open) {
      this.events.emit('resync', { previousSession: lostSession, session: welcome.session });
    }
  }

  private bye(code: number, reason: string): void {
    if (isTerminalCloseCode(code)) {
      this.terminate(code, reason);
      return;
    }
    this.connectionLost(StateReason.Bye, { code, closeReason: reason });
  }

  // --- losing the connection -------------------------------------------------------------------------------------

  private connectionLost(reason: string, info: { code?: number; closeReason?: string; error?: Error }): void {
    if (this.down()) return;
    const { code, closeReason } = info;
    let error = info.error;
    if (!error && code === CloseCode.ProtocolError) {
      error = new ProtocolError(ProtocolErrorCode.PeerRejected, `the server closed the connection with ${code}: ${closeReason ?? ''}`);
    }
    if (code !== undefined && isTerminalCloseCode(code)) {
      if (error) this.events.emit('error', error as MultisocketError);
      this.terminate(code, closeReason ?? '');
      return;
    }
    this.detach(CloseCode.Normal, reason);
    if (error) this.events.emit('error', error as MultisocketError);
    // Any listener above may have closed or suspended the channel.
    if (this.down()) return;
    if (!this.mayReconnect({ attempt: this.attempt, reason, code, error })) {
      this.finalize(StateReason.GaveUp);
      return;
    }
    const delayMs = backoffDelay(this.attempt, this.options.reconnect, this.options.random);
    const attempt = ++this.attempt;
    this.setState(ChannelState.Reconnecting, reason);
    if (this.current !== ChannelState.Reconnecting) return;
    this.events.emit('reconnecting', { attempt, delayMs, reason, code, closeReason });
    if (this.current === ChannelState.Reconnecting) this.backoffTimer.schedule(delayMs);
  }

  private mayReconnect(info: ReconnectInfo): boolean {
    if (this.attempt >= this.options.reconnect.maxAttempts) return false;
    if (!this.options.shouldReconnect) return true;
    try {
      return this.options.shouldReconnect(info) !== false;
    } catch (error) {
      this.events.emit('error', new ListenerError('shouldReconnect', error));
      return false;
    }
  }

  /** Abandons the current socket: later callbacks from it are ignored, in-flight requests fail. */
  private detach(code: number, reason: string): void {
    const connection = this.connection;
    const wasOpen = connection !== undefined && connection.open;
    this.connection = undefined;
    if (connection) connection.abandon();
    this.inbound.inbox.clear();
    this.heartbeat.stop();
    this.connectTimer.cancel();
    this.stableTimer.cancel();
    this.resumeTimer.cancel();
    for (const topic of this.outbound.batcher.discard()) this.reportDrop(topic, 'disconnected');
    this.sessionState.pause();
    this.requests.rejectInFlight(
      () => new DisconnectedError(DisconnectedErrorCode.Disconnected, `channel "${this.name}" lost its connection (${reason}) with the request in flight`),
    );
    // Not yet open: a browser socket aborts now, and wxTransport remembers the close and carries it out on open (the
    // platform ignores a close before open); the connection's stale check on open is the last line of defence.
    if (connection) connection.close(code, wasOpen ? reason.slice(0, 100) : 'abandoned');
  }

  private terminate(code: number, reason: string): void {
    this.events.emit('terminal', { code, reason });
    // Before detach, which would fail a request in flight as a bare disconnect: every promise hears the code and reason.
    this.releasePending(`channel "${this.name}" closed for good: ${code} ${reason}`, code, reason);
    this.detach(CloseCode.Normal, 'terminal');
    this.stopTimers();
    this.finalize(StateReason.Terminal);
  }

  private stopTimers(): void {
    this.connectTimer.cancel();
    this.backoffTimer.cancel();
    this.stableTimer.cancel();
    this.resumeTimer.cancel();
    this.heartbeat.stop();
  }

  private releasePending(message: string, closeCode?: number, closeReason?: string): void {
    this.requests.rejectAll(() => new DisconnectedError(DisconnectedErrorCode.Closed, message, closeCode, closeReason));
    this.sessionState.close(
      () => new DisconnectedError(DisconnectedErrorCode.Closed, `${message}: the RELIABLE message was not acknowledged`, closeCode, closeReason),
    );
    this.outbox.clear('closed');
  }

  private finalize(reason: string): void {
    if (this.current === ChannelState.Closed) return;
    this.stopTimers();
    this.closingTimer.cancel();
    this.sessionState.pause();
    this.outbound.batcher.discard();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) connection.abandon();
    this.inbound.inbox.clear();
    if (connection) connection.close(CloseCode.Normal, 'closed');
    this.releasePending(`channel "${this.name}" closed`);
    this.router.close(`channel "${this.name}" closed`);
    this.setState(ChannelState.Closed, reason);
    this.events.removeAllListeners();
  }

  private setState(next: ChannelState, reason: string): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.events.emit('state', { previous, next, reason });
  }

  private reportDrop(topic: string, reason: DropReason): void {
    this.counters.dropped++;
    this.events.emit('dropped', { topic, reason });
  }

  /** Closed, closing or suspended: a lost connection changes nothing. (A method, so TypeScript does not narrow.) */
  private down(): boolean {
    return this.ended || this.current === ChannelState.Suspended;
  }

  private get ended(): boolean {
    return this.current === ChannelState.Closed || this.current === ChannelState.Closing;
  }

  /** Frames can go out now: open (or flushing the outbox right after WELCOME) with a socket that is open. */
  private isLive(): boolean {
    return this.connection !== undefined && this.connection.open && (this.current === ChannelState.Open || this.draining);
  }

  private listenerFailed(event: string, error: unknown): void {
    if (event === 'error') {
      console.warn(`multisocket: an "error" listener of channel "${this.name}" threw`, error);
      return;
    }
    this.events.emit('error', new ListenerError(event, error));
  }

  private assertUsable(): void {
    if (this.current === ChannelState.Closed || this.current === ChannelState.Closing) {
      throw new UsageError(UsageErrorCode.Closed, `channel "${this.name}" is ${this.current}`);
    }
  }
}
