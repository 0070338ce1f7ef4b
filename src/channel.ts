import { backoffDelay } from './backoff';
import { Batcher } from './batcher';
import { type ChannelOptions, type ReconnectInfo, resolveChannelOptions, type ResolvedChannelOptions } from './channel-options';
import { type Clock, Timer } from './clock';
import { encodeOnce, FrameCodec, type WireData } from './codec';
import {
  CloseCode,
  DisconnectedErrorCode,
  isTerminalCloseCode,
  ProtocolErrorCode,
  TransportErrorCode,
  UsageErrorCode,
} from './codes';
import { Emitter } from './emitter';
import {
  DisconnectedError,
  MultisocketError,
  ListenerError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
  TransportError,
  UsageError,
  type SubscriberError,
} from './errors';
import { Heartbeat } from './heartbeat';
import { Inbox } from './inbox';
import { type DropReason, Outbox, type OutboxEntry } from './outbox';
import { type Frame, type Hello, Op, opName, PROTOCOL_VERSION, type Welcome } from './protocol';
import { PendingRequests } from './requests';
import type { ReceiveVerdict } from './reliable';
import { ClientSession } from './session';
import type { ChannelEvents, ChannelStats, SendOptions } from './channel-types';

export type { ChannelEvents, ChannelStats, SendOptions } from './channel-types';
import { isThenable, type MessageMeta, Router, type Subscriber, type WaitForOptions } from './router';
import { ChannelState, StateReason } from './state';
import { validateTopic } from './topics';
import { isSocketLimitError } from './transport/errors';
import { checkCloseOption, type SocketLike } from './transport/types';

const NOOP = () => undefined;

/**
 * One socket to one URL with its own heartbeat, outbox, batching and reconnect policy. Created by
 * `ConnectionManager.open`, or directly with a `transport` in the options.
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
  private readonly batcher: Batcher;
  private readonly inbox: Inbox;
  private readonly sessionState: ClientSession;
  private readonly connectTimer: Timer;
  private readonly backoffTimer: Timer;
  private readonly stableTimer: Timer;
  private readonly closingTimer: Timer;
  private readonly resumeTimer: Timer;
  private resumeReason = '';

  private current: ChannelState = ChannelState.Idle;
  /** True while the outbox is being flushed after WELCOME: sends made meanwhile go straight out, in order. */
  private draining = false;
  /** Bumped for every socket: a callback from an older socket sees a different number and does nothing. */
  private generation = 0;
  private socket: SocketLike | undefined;
  private socketOpen = false;
  private attempt = 0;
  private everOpened = false;
  private lastRtt: number | undefined;
  private offset: number | undefined;
  private readonly counters = {
    reconnects: 0,
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    dropped: 0,
    protocolErrors: 0,
  };

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
        this.sendFrame([Op.Ping, clientTime]);
        this.batcher.flush();
      },
      dead: (silentForMs) =>
        this.connectionLost(StateReason.HeartbeatTimeout, {
          error: new TimeoutError(`no sign of life for ${silentForMs} ms after a PING: the connection is dead`, this.options.heartbeat.timeoutMs),
        }),
    });
    this.batcher = new Batcher(this.clock, this.codec.limits.maxFrameBytes, this.options.maxBatchBytes, this.options.flushMs, (data, frames, topics) =>
      this.transmit(data, frames, topics),
    );
    this.inbox = new Inbox(this.clock, this.options.receiveTurnMs, (frame) => this.handle(frame));
    this.sessionState = new ClientSession(this.clock, this.options.reliable, this.codec, (frame) => {
      if (!this.isLive()) return false;
      this.batcher.add(frame, undefined);
      return true;
    });
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
    return this.lastRtt;
  }

  /** The session id from the last WELCOME. */
  get session(): string | undefined {
    return this.sessionState.sessionId;
  }

  /** The server's clock as estimated from the last PONG (or this clock before any). */
  serverNow(): number {
    return this.clock.now() + (this.offset ?? 0);
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
    const frame: Frame = [Op.Push, topic, payload];
    if (this.isLive() && this.heartbeat.check()) {
      this.sendFrame(frame, topic);
      return true;
    }
    if (this.ended) {
      // The deadline check just found the connection dead and the channel gave up.
      this.codec.encodeShared(frame);
      this.reportDrop(topic, 'closed');
      return false;
    }
    const policy = options.policy ?? this.options.outbox.policy;
    if (policy === 'drop') {
      this.codec.encodeShared(frame);
      this.reportDrop(topic, 'not_open');
      return false;
    }
    return this.outbox.add({
      topic,
      bytes: this.codec.encodeShared(frame).slice(),
      key: policy === 'latest' ? topic : undefined,
      expiresAt: options.ttlMs !== undefined ? this.clock.now() + options.ttlMs : undefined,
      onDrop: undefined,
      onSent: undefined,
    });
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
    const timeoutMs = options.timeoutMs ?? this.options.requests.timeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      return Promise.reject(new UsageError(UsageErrorCode.InvalidArgument, `timeoutMs must be a number > 0 (Infinity for none), got ${String(timeoutMs)}`));
    }
    const open = this.isLive();
    if (!open && this.options.requests.whileDisconnected === 'reject') {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.NotOpen, `channel "${this.name}" is ${this.current}; request "${topic}" not sent`));
    }
    let queued: OutboxEntry | undefined;
    const { id, promise } = this.requests.create(topic, timeoutMs, () => {
      if (queued) this.outbox.withdraw(queued);
    });
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encodeShared([Op.Request, id, topic, payload]);
    } catch (error) {
      this.requests.reject(id, error as Error);
      return promise as Promise<R>;
    }
    if (open) {
      this.requests.sent(id);
      this.batcher.add(bytes, topic);
    } else {
      const entry: OutboxEntry = {
        topic,
        bytes: bytes.slice(),
        key: undefined,
        expiresAt: undefined,
        onDrop: (reason) => this.requests.reject(id, dropError(topic, reason)),
        onSent: undefined,
      };
      entry.onSent = () => {
        queued = undefined;
        this.requests.sent(id);
      };
      queued = entry;
      this.outbox.add(entry);
    }
    return promise as Promise<R>;
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
    const socket = this.socket;
    if (!socket) {
      this.finalize(StateReason.CloseRequested);
      return;
    }
    if (this.socketOpen) {
      this.sessionState.flushAck();
      this.batcher.flush();
    }
    this.setState(ChannelState.Closing, StateReason.CloseRequested);
    this.releasePending(`channel "${this.name}" closed`);
    this.closingTimer.schedule(this.options.connectTimeoutMs);
    // Before onOpen the platform ignores this; onOpen then closes again (see attach).
    safeClose(socket, code, reason);
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
    return {
      name: this.name,
      state: this.current,
      rtt: this.lastRtt,
      clockOffset: this.offset,
      attempt: this.attempt,
      ...this.counters,
      queued: this.outbox.count,
      queuedBytes: this.outbox.byteLength,
      pendingRequests: this.requests.size,
      ...this.sessionState.stats,
    };
  }

  /** Number of timers this channel has armed: 0 once it is closed. */
  get activeTimers(): number {
    return [this.connectTimer, this.backoffTimer, this.stableTimer, this.closingTimer, this.resumeTimer]
      .filter((t) => t.armed).length + (this.heartbeat.active ? 1 : 0) + (this.batcher.armed ? 1 : 0) + (this.inbox.armed ? 1 : 0);
  }

  // --- connection attempts ---------------------------------------------------------------------------------------

  private startAttempt(reason: string): void {
    const gen = ++this.generation;
    this.setState(ChannelState.Connecting, reason);
    // A state listener may have closed or suspended the channel.
    if (gen !== this.generation || this.current !== ChannelState.Connecting) return;
    this.connectTimer.schedule(this.options.connectTimeoutMs);
    let token: unknown;
    try {
      token = this.options.getToken?.();
    } catch (error) {
      this.tokenFailed(error);
      return;
    }
    if (isThenable(token)) {
      token.then(
        (value) => {
          if (gen === this.generation && this.current === ChannelState.Connecting) this.openSocket(gen, value);
        },
        (error: unknown) => {
          if (gen === this.generation && this.current === ChannelState.Connecting) this.tokenFailed(error);
        },
      );
    } else {
      this.openSocket(gen, token);
    }
  }

  private tokenFailed(error: unknown): void {
    const cause = error instanceof Error ? error.message : String(error);
    this.connectionLost(StateReason.TokenFailed, {
      error: new TransportError(TransportErrorCode.ConnectRefused, `getToken failed: ${cause}`),
    });
  }

  private openSocket(gen: number, token: unknown): void {
    if (gen !== this.generation || this.current !== ChannelState.Connecting) return;
    if (token !== undefined && token !== null && typeof token !== 'string') {
      this.tokenFailed(new TypeError(`getToken must return a string, got ${typeof token}`));
      return;
    }
    let socket: SocketLike;
    try {
      socket = this.options.transport.connect({
        url: this.options.url,
        header: this.options.header,
        protocols: this.options.protocols,
        timeoutMs: this.options.connectTimeoutMs,
        tcpNoDelay: true,
      });
    } catch (error) {
      if (error instanceof UsageError) {
        // A configuration the platform refuses outright will be refused on every attempt: stop here.
        this.stopTimers();
        this.events.emit('error', error);
        this.finalize(StateReason.InvalidConfig);
        return;
      }
      this.connectionLost(StateReason.SocketError, { error: asTransportError(error) });
      return;
    }
    this.socket = socket;
    this.socketOpen = false;
    const hello: Hello = { v: PROTOCOL_VERSION, channel: this.name };
    if (typeof token === 'string') hello.token = token;
    Object.assign(hello, this.sessionState.helloFields());
    socket.onOpen(() => {
      if (gen !== this.generation) {
        // An abandoned socket (timed out, suspended) that opened late: closing now is the only way to release it.
        safeClose(socket, CloseCode.Normal, 'abandoned');
        return;
      }
      this.socketOpen = true;
      if (this.current === ChannelState.Closing) {
        safeClose(socket, CloseCode.Normal, 'client closed');
        return;
      }
      this.setState(ChannelState.Handshaking, StateReason.SocketOpen);
      if (gen !== this.generation || this.current !== ChannelState.Handshaking) return;
      // Straight out, never through the shared encoder or the batch buffer: nothing the channel keeps holds the token.
      this.transmit(encodeOnce([Op.Hello, hello], this.codec.limits), 1, []);
    });
    socket.onMessage(({ data }) => {
      if (gen === this.generation) this.receive(data);
    });
    socket.onError(({ errMsg }) => {
      if (gen !== this.generation) return;
      // What the socket delivered before the error or close comes first.
      this.inbox.flush();
      if (gen !== this.generation) return;
      if (this.current === ChannelState.Closing) {
        if (!this.socketOpen) this.finalize(StateReason.Closed);
        return;
      }
      const code = isSocketLimitError(errMsg) ? TransportErrorCode.SocketLimit : TransportErrorCode.SocketError;
      const error = new TransportError(code, code === TransportErrorCode.SocketLimit
        ? `the platform refused another socket (at most 5 at once on WeChat): ${errMsg}`
        : `socket error: ${errMsg}`, errMsg);
      this.connectionLost(StateReason.SocketError, { error });
    });
    socket.onClose(({ code, reason }) => {
      if (gen !== this.generation) return;
      this.inbox.flush();
      if (gen !== this.generation) return;
      if (this.current === ChannelState.Closing) {
        this.finalize(StateReason.Closed);
        return;
      }
      this.connectionLost(StateReason.SocketClosed, { code: Number(code), closeReason: reason });
    });
  }

  private receive(data: WireData): void {
    let frames: Frame[];
    try {
      frames = this.codec.decode(data);
    } catch (error) {
      this.counters.protocolErrors++;
      const err = error instanceof MultisocketError ? error : new ProtocolError(ProtocolErrorCode.Malformed, String(error));
      // Messages stand alone, so one bad message does not spoil the stream, except during the handshake.
      if (this.current === ChannelState.Handshaking) this.connectionLost(StateReason.ProtocolError, { error: err });
      else this.events.emit('error', err);
      return;
    }
    this.counters.messagesReceived++;
    this.counters.framesReceived += frames.length;
    this.counters.bytesReceived += typeof data === 'string' ? data.length : data.byteLength;
    this.heartbeat.received();
    // A frame that drops the connection (BYE, a gap) clears the inbox: nothing after it is handled.
    this.inbox.add(frames);
  }

  private handle(frame: Frame): void {
    if (this.current === ChannelState.Handshaking) {
      if (frame[0] === Op.Welcome) this.welcome(frame[1]);
      else if (frame[0] === Op.Bye) this.bye(frame[1], frame[2]);
      else this.unexpected(frame, true);
      return;
    }
    switch (frame[0]) {
      case Op.Pong: {
        const now = this.clock.now();
        this.lastRtt = Math.max(0, now - frame[1]);
        this.offset = frame[2] - (frame[1] + this.lastRtt / 2);
        this.events.emit('pong', { rtt: this.lastRtt, offset: this.offset });
        return;
      }
      case Op.Push:
        this.router.dispatch(frame[1], frame[2], this.meta(frame[1], 'push'));
        return;
      case Op.Request:
        this.answer(frame[1], frame[2], frame[3]);
        return;
      case Op.Reply:
        this.requests.reply(frame[1], frame[2]);
        return;
      case Op.Fail:
        this.requests.fail(frame[1], frame[2], frame[3]);
        return;
      case Op.Reliable: {
        let verdict: ReceiveVerdict;
        try {
          verdict = this.sessionState.receive(frame[1]);
        } catch (error) {
          this.counters.protocolErrors++;
          // A gap: the stream cannot be trusted. Reconnecting resumes from `recv`, which repairs it.
          this.connectionLost(StateReason.ProtocolError, { error: error as ProtocolError });
          return;
        }
        if (verdict === 'deliver') this.router.dispatch(frame[2], frame[3], { topic: frame[2], kind: 'reliable', channel: this.name, seq: frame[1] });
        return;
      }
      case Op.Ack:
        this.sessionState.acknowledged(frame[1]);
        return;
      case Op.Bye:
        this.bye(frame[1], frame[2]);
        return;
      default:
        this.unexpected(frame, false);
    }
  }

  private meta(topic: string, kind: MessageMeta['kind']): MessageMeta {
    return { topic, kind, channel: this.name };
  }

  private unexpected(frame: Frame, fatal: boolean): void {
    this.counters.protocolErrors++;
    const error = new ProtocolError(ProtocolErrorCode.UnexpectedFrame, `${opName(frame[0])} is not expected in state ${this.current}`);
    if (fatal) this.connectionLost(StateReason.ProtocolError, { error });
    else this.events.emit('error', error);
  }

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
    const gen = this.generation;
    this.draining = true;
    let outcome: { resumed: boolean; lostSession: string | undefined };
    try {
      outcome = this.sessionState.welcome(welcome);
      for (const entry of this.outbox.drain(this.clock.now())) {
        this.batcher.add(entry.bytes, entry.topic);
        entry.onSent?.();
      }
    } finally {
      this.draining = false;
    }
    const { resumed, lostSession } = outcome;
    if (gen !== this.generation) return;
    this.setState(ChannelState.Open, StateReason.Welcome);
    if (gen !== this.generation || this.current !== ChannelState.Open) return;
    this.events.emit('open', { session: welcome.session, resumed, welcome });
    if (lostSession !== undefined && gen === this.generation) {
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

  private answer(id: number, topic: string, payload: unknown): void {
    const gen = this.generation;
    const reply = (value: unknown) => {
      if (gen !== this.generation) return;
      try {
        this.sendFrame([Op.Reply, id, value]);
      } catch (error) {
        this.events.emit('error', error as MultisocketError);
        this.sendFrame([Op.Fail, id, 'internal', 'the reply could not be encoded']);
      }
    };
    const fail = (error: unknown) => {
      if (gen !== this.generation) return;
      const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'internal';
      const message = error instanceof Error ? error.message : String(error);
      this.sendFrame([Op.Fail, id, code, message]);
    };
    const outcome = this.router.dispatchRequest(topic, payload, this.meta(topic, 'request'));
    if (!outcome.handled) this.sendFrame([Op.Fail, id, 'not_found', `no handler for "${topic}"`]);
    else if ('error' in outcome) fail(outcome.error);
    else if (isThenable(outcome.result)) outcome.result.then(reply, fail);
    else reply(outcome.result);
  }

  // --- sending ---------------------------------------------------------------------------------------------------

  /** `topic` names a frame whose loss is reported as `dropped`; control frames pass none. */
  private sendFrame(frame: Frame, topic?: string): void {
    this.batcher.add(this.codec.encodeShared(frame), topic);
  }

  private transmit(data: ArrayBuffer, frames: number, topics: readonly string[]): void {
    const socket = this.socket;
    if (!socket || !this.socketOpen) {
      for (const topic of topics) this.reportDrop(topic, 'disconnected');
      return;
    }
    const gen = this.generation;
    this.counters.messagesSent++;
    this.counters.framesSent += frames;
    this.counters.bytesSent += data.byteLength;
    socket.send({
      data,
      fail: ({ errMsg }) => {
        if (gen !== this.generation || this.current === ChannelState.Closing) return;
        this.connectionLost(StateReason.SendFailed, { error: new TransportError(TransportErrorCode.SendFailed, `send failed: ${errMsg}`, errMsg) });
      },
    });
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
    const socket = this.socket;
    const wasOpen = this.socketOpen;
    this.generation++;
    this.inbox.clear();
    this.socket = undefined;
    this.socketOpen = false;
    this.heartbeat.stop();
    this.connectTimer.cancel();
    this.stableTimer.cancel();
    this.resumeTimer.cancel();
    for (const topic of this.batcher.discard()) this.reportDrop(topic, 'disconnected');
    this.sessionState.pause();
    this.requests.rejectInFlight(
      () => new DisconnectedError(DisconnectedErrorCode.Disconnected, `channel "${this.name}" lost its connection (${reason}) with the request in flight`),
    );
    // Not yet open: a browser socket aborts now, and wxTransport remembers the close and carries it out on open (the
    // platform ignores a close before open); the generation check in onOpen is the last line of defence.
    if (socket) safeClose(socket, code, wasOpen ? reason.slice(0, 100) : 'abandoned');
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
    this.batcher.discard();
    this.generation++;
    this.inbox.clear();
    const socket = this.socket;
    this.socket = undefined;
    this.socketOpen = false;
    if (socket) safeClose(socket, CloseCode.Normal, 'closed');
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
    return this.socketOpen && (this.current === ChannelState.Open || this.draining);
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

function safeClose(socket: SocketLike, code: number, reason: string): void {
  try {
    socket.close({ code, reason, fail: NOOP });
  } catch {
    // A platform that throws from close has nothing more to release.
  }
}

function asTransportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  return new TransportError(TransportErrorCode.ConnectRefused, `connect failed: ${error instanceof Error ? error.message : String(error)}`);
}

function dropError(topic: string, reason: DropReason): Error {
  if (reason === 'overflow' || reason === 'too_large') {
    return new QueueFullError(`request "${topic}" refused: the outbox is full (${reason})`);
  }
  return new DisconnectedError(DisconnectedErrorCode.Closed, `request "${topic}" dropped from the outbox (${reason})`);
}
