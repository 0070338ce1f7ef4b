import { type ChannelCounters, createCounters } from './counters';
import { type ChannelOptions, resolveChannelOptions, type ResolvedChannelOptions } from './options';
import { Sender } from './sender';
import { type Clock } from '../time/clock';
import { FrameCodec } from '../wire/codec';
import { CloseCode, UsageErrorCode } from '../codes';
import { Emitter } from '../emitter';
import { ListenerError, type MultisocketError, TimeoutError, UsageError, type SubscriberError } from '../errors';
import { failureOf } from './failure';
import { Heartbeat } from './heartbeat';
import type { DropReason } from './outbox';
import { StateMachine } from './state-machine';
import { PendingRequests } from '../reliable/requests';
import { ClientSession } from '../reliable/client-session';
import { RoundTrip } from './receiver';
import { type ChannelContext, ChannelStatus } from './status';
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
 * This is the public face. The state machine is the {@link StateMachine}, which makes a {@link ConnectionAttempt} for
 * every try and a {@link Receiver} for what arrives; the {@link Sender} sends; the {@link Heartbeat} keeps liveness.
 */
export class Channel {
  // A listener that throws is reported and skipped: an application bug must never look like a broken connection.
  private readonly events = new Emitter<ChannelEvents>((event, error) => this.listenerFailed(event, error));
  readonly options: ResolvedChannelOptions;
  private readonly clock: Clock;
  private readonly status: ChannelStatus;
  private readonly router: Router;
  private readonly requests: PendingRequests;
  private readonly heartbeat: Heartbeat;
  private readonly sessionState: ClientSession;
  private readonly sender: Sender;
  private readonly machine: StateMachine;
  private readonly roundTrip = new RoundTrip();
  private readonly counters: ChannelCounters = createCounters();

  /** @throws {UsageError} `invalid_option` naming the first bad option. */
  constructor(
    readonly name: string,
    options: Readonly<Partial<ChannelOptions>> & { url: string },
  ) {
    this.options = resolveChannelOptions(options, {}, `channel "${name}"`);
    const clock = (this.clock = this.options.clock);
    const codec = new FrameCodec(this.options.limits);
    if (this.options.maxBatchBytes > codec.limits.maxFrameBytes) {
      throw new UsageError(UsageErrorCode.InvalidOption, `option maxBatchBytes (${this.options.maxBatchBytes}) must not exceed limits.maxFrameBytes (${codec.limits.maxFrameBytes})`);
    }
    const events = this.events;
    const counters = this.counters;
    this.status = new ChannelStatus(events);
    const context: ChannelContext = {
      name,
      clock,
      codec,
      events,
      status: this.status,
      counters,
      drop: (topic: string, reason: DropReason) => {
        counters.dropped++;
        events.emit('dropped', { topic, reason });
      },
    };
    this.router = new Router(name, clock, (error: SubscriberError) => events.emit('error', error));
    this.requests = new PendingRequests(clock);
    // Made before the sender and the state machine it reports to: its hooks reach them only once it runs, after WELCOME.
    this.heartbeat = new Heartbeat(clock, this.options.heartbeat, {
      ping: (clientTime) => this.sender.ping(clientTime),
      dead: (silentForMs) =>
        this.machine.lost(StateReason.HeartbeatTimeout, {
          error: new TimeoutError(`no sign of life for ${silentForMs} ms after a PING: the connection is dead`, this.options.heartbeat.timeoutMs),
        }),
    });
    this.sender = new Sender(context, this.options, this.requests, this.heartbeat);
    this.sessionState = new ClientSession(clock, this.options.reliable, codec, (frame) => this.sender.sendEncoded(frame));
    this.machine = new StateMachine(context, this.options, this.sender, this.heartbeat, this.sessionState, this.requests, this.router, this.roundTrip);
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
    return this.status.state;
  }

  /** The last measured round-trip time, ms (undefined before the first PONG). */
  get rtt(): number | undefined {
    return this.roundTrip.rtt;
  }

  /**
   * Why the channel is not open: the error of its last failed attempt or lost connection (what the last `reconnecting`
   * event carried, or what ended the channel). Undefined before any failure and once a WELCOME opens the channel;
   * kept when the channel closes. `stats().lastError` has the same, with the time.
   */
  get lastError(): MultisocketError | undefined {
    return this.status.lastFailure?.error;
  }

  /** The session id from the last WELCOME. */
  get session(): string | undefined {
    return this.sessionState.sessionId;
  }

  /** The server's clock as estimated from the last PONG (or this clock before any). */
  serverNow(): number {
    return this.clock.now() + (this.roundTrip.offset || 0);
  }

  /** Starts connecting (the manager calls it on `open`). Does nothing unless the channel is idle. */
  connect(): void {
    this.machine.connect();
  }

  /**
   * Sends a PUSH. While not open, the outbox policy decides: `queue`, `latest` (newest per topic) or `drop`.
   * Returns false when the message was dropped (a `dropped` event says why).
   * @throws {UsageError} for a bad topic, a payload msgpack cannot carry or one over `maxFrameBytes`, or a closed channel.
   */
  send(topic: string, payload?: unknown, options: SendOptions = {}): boolean {
    validateTopic(topic);
    this.assertUsable();
    return this.sender.push(topic, payload, options);
  }

  /**
   * Sends a REQUEST and resolves with the REPLY's payload. It never throws: each failure rejects the Promise.
   * @throws (rejects) {UsageError} for a bad topic, payload or `timeoutMs`, or a closed channel; {TimeoutError} at the deadline, {DisconnectedError} if the connection drops with the request in
   * flight or the channel closes, {RemoteError} for a FAIL, {QueueFullError} if the outbox refused it.
   */
  request<R = unknown>(topic: string, payload?: unknown, options: { timeoutMs?: number } = {}): Promise<R> {
    try {
      validateTopic(topic);
      this.assertUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sender.request<R>(topic, payload, options);
  }

  /**
   * Sends a RELIABLE message: numbered, kept until the server acknowledges it, retransmitted after a reconnect that
   * resumes the session and sent again in a new session if it does not, so it is delivered once and in order
   * (PROTOCOL.md section 5). Sent at once when open, otherwise on the next connection. Resolves when acknowledged.
   * Like every method that returns a Promise, it never throws: each failure rejects the Promise.
   * @throws (rejects) {UsageError} for a bad topic or payload, or a closed channel; {QueueFullError} when
   * `reliable.maxUnacked` / `maxUnackedBytes` are reached (nothing is dropped); {DisconnectedError} `closed` if the
   * channel closes before the acknowledgement.
   */
  sendReliable(topic: string, payload?: unknown): Promise<void> {
    try {
      validateTopic(topic);
      this.assertUsable();
      return this.sessionState.send(topic, payload);
    } catch (error) {
      return Promise.reject(error);
    }
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
    this.machine.close(code, reason);
  }

  /** Hidden past the grace period, or offline: drop the socket and wait, without spending reconnect attempts. */
  suspend(reason: string): void {
    this.machine.suspend(reason);
  }

  /** Leaves `suspended`: connect after `delayMs` (0: now), e.g. a small random stagger after the app is shown. */
  resume(reason: string, delayMs = 0): void {
    this.machine.resume(reason, delayMs);
  }

  /**
   * Sends a PING now, when open; its PONG updates `rtt` and the clock offset (a `pong` event) and it is judged by the
   * heartbeat's deadline like any PING. Returns false when not open.
   */
  probe(): boolean {
    if (!this.status.live()) return false;
    this.heartbeat.probe();
    return true;
  }

  /** The app went to the background: stop the heartbeat (timers freeze there anyway). */
  pauseHeartbeat(): void {
    this.heartbeat.stop();
  }

  /** The app came back before the grace period ended: restart the heartbeat and probe at once. */
  resumeHeartbeat(): void {
    if (this.status.state !== ChannelState.Open) return;
    this.heartbeat.start();
    this.heartbeat.probe();
  }

  stats(): ChannelStats {
    const queued = this.sender.queued;
    const failure = this.status.lastFailure;
    return Object.assign(
      { name: this.name, state: this.status.state, rtt: this.roundTrip.rtt, clockOffset: this.roundTrip.offset, attempt: this.machine.attempts },
      this.counters,
      { queued: queued.count, queuedBytes: queued.bytes, pendingRequests: this.requests.size },
      this.sessionState.stats,
      { lastError: failure && failureOf(failure.error, failure.at) },
    );
  }

  /** Number of timers this channel has armed: 0 once it is closed. */
  get activeTimers(): number {
    return this.machine.activeTimers + (this.heartbeat.active ? 1 : 0) + (this.sender.armed ? 1 : 0);
  }

  private listenerFailed(event: string, error: unknown): void {
    if (event === 'error') {
      console.warn(`multisocket: an "error" listener of channel "${this.name}" threw`, error);
      return;
    }
    this.events.emit('error', new ListenerError(event, error));
  }

  private assertUsable(): void {
    if (this.status.ended) {
      throw new UsageError(UsageErrorCode.Closed, `channel "${this.name}" is ${this.status.state}`);
    }
  }
}
