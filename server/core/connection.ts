import { inspect } from 'node:util';
import type { RawData, WebSocket } from 'ws';
import { CloseCode } from '../../src/codes';
import { asError, type ProtocolError } from '../../src/errors';
import { type Frame, type Hello, Op } from '../../src/wire/protocol';
import { validateTopic } from '../../src/routing/topics';
import type { LimitName } from './abuse';
import { wsRefusal } from './admission';
import { clampReason } from './close-reason';
import { checkCloseOption } from '../../src/transport/types';
import { ServerError, ServerErrorCode } from './errors';
import { Exit } from './exit';
import { Exchange } from './exchange';
import { Handshake, versionError, welcomeFor } from './handshake';
import { SilenceDeadline } from './silence';
import { SocketReader } from './reader';
import { checkDuration, type ResolvedServerOptions } from './options';
import type { ConnectionHost } from './host';
import { SocketWriter } from './writer';
import type { SessionLink } from '../sessions/link';
import type { Session } from '../sessions/session';
import type { ResumeRequest } from '../sessions/kept';
import { ConnectionState, type ServerRequestOptions, type SendReliableOptions } from './types';

/**
 * One client socket and its protocol state machine (the transition table is on {@link ConnectionState}): admission of
 * inbound messages, the heartbeat deadline, WELCOME, and the BYE-then-close exit. The handshake before WELCOME is its
 * {@link Handshake}, the application frames after it its {@link Exchange}; reliable delivery belongs to its session,
 * which outlives it. Every socket callback is guarded so that nothing a client sends can throw out of it.
 */
export class Connection implements SessionLink {
  channel = '';
  session = '';
  user: object | undefined;
  private sessionRef: Session | undefined;
  /** Set at WELCOME: application frames are admitted only from then on. */
  private exchange: Exchange | undefined;
  private current: ConnectionState = ConnectionState.AwaitingHello;
  private welcomed = false;
  private readonly options: ResolvedServerOptions;
  private readonly reader: SocketReader;
  private readonly writer: SocketWriter;
  private readonly handshake: Handshake;
  private readonly silence: SilenceDeadline;
  private readonly exit: Exit;

  constructor(private readonly ws: WebSocket, readonly id: string, readonly remoteAddress: string, private readonly host: ConnectionHost<Connection>) {
    const options = (this.options = host.options);
    this.exit = new Exit(options.clock, ws);
    const codec = host.codec;
    this.reader = new SocketReader(codec, options, {
      limited: (limit) => this.limitExceeded(limit),
      protocolError: (error) => this.protocolError(error, CloseCode.ProtocolError),
    }, host.traffic);
    this.writer = new SocketWriter(ws, codec, options, () => {
      if (!this.ending()) this.limitExceeded('maxBufferedBytes', 'slow consumer: send buffer over maxBufferedBytes');
    }, host.traffic);
    this.silence = new SilenceDeadline(options.clock, options, () => this.shutdown(CloseCode.HeartbeatTimeout, 'heartbeat timeout'));
    const sessions = host.sessions;
    const fetch = sessions.shared ? (ask: ResumeRequest, channel: string) => sessions.fetch(ask, channel) : undefined;
    this.handshake = new Handshake(
      { clock: options.clock, authenticate: options.authenticate, helloTimeoutMs: options.helloTimeoutMs, maxEarlyBytes: options.maxEarlyBytes, fetch },
      {
        welcome: (user, resume, early) => this.guard(() => this.welcome(user, resume, early)),
        violated: (error) => this.protocolError(error, CloseCode.ProtocolError),
        refuse: (code, reason, error) =>
          this.guard(() => {
            if (error) this.reportError(error);
            this.shutdown(code, reason);
          }),
      },
    );
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.guard(() => this.receive(data, isBinary)));
    ws.on('error', (err) => this.guard(() => this.socketError(err)));
    ws.on('close', (code, reason) => this.guard(() => this.socketClosed(code, reason.toString())));
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Settles once the socket is closed and everything this connection held is released. */
  get whenClosed(): Promise<void> {
    return this.exit.whenClosed;
  }

  push(topic: string, payload: unknown): boolean {
    validateTopic(topic);
    if (this.current !== ConnectionState.Open) return false;
    this.writer.send([Op.Push, topic, payload]);
    return true;
  }

  /** Queues a frame another codec already encoded (a broadcast encodes once for everyone); false unless open. */
  pushEncoded(frame: Uint8Array): boolean {
    if (this.current !== ConnectionState.Open) return false;
    this.writer.add(frame);
    return true;
  }

  sendReliable(topic: string, payload: unknown, options?: SendReliableOptions): boolean {
    validateTopic(topic);
    return this.sessionRef ? this.sessionRef.sendReliable(topic, payload, options) : false;
  }

  sendAck(recv: number): void {
    if (this.current === ConnectionState.Open) this.writer.send([Op.Ack, recv]);
  }

  /** @throws {UsageError} for a bad topic, timeout or payload; a closed connection rejects with `not_open` instead. */
  request(topic: string, payload: unknown, options: ServerRequestOptions = {}): Promise<unknown> {
    validateTopic(topic);
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    checkDuration('timeoutMs', timeoutMs, 1);
    if (this.current !== ConnectionState.Open) {
      return Promise.reject(new ServerError(ServerErrorCode.NotOpen, `connection ${this.id} is ${this.current}`));
    }
    return (this.exchange as Exchange).request(topic, payload, timeoutMs);
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    checkCloseOption({ code });
    this.shutdown(code, clampReason(String(reason)));
  }

  /**
   * Sends BYE `code` (after anything still queued), with the retry hint `retryMs` if given, and closes; a no-op once
   * closing. `reason` must already fit.
   */
  shutdown(code: number, reason: string, retryMs?: number): void {
    if (!this.beginClose(code, reason)) return;
    this.writer.send(retryMs === undefined ? [Op.Bye, code, reason] : [Op.Bye, code, reason, retryMs]);
    this.writer.flush();
    this.ws.close(code, reason);
  }

  /** A summary without the codec's buffers: they may still hold the HELLO bytes, token included. */
  toJSON(): Record<string, string> {
    return { id: this.id, channel: this.channel, session: this.session, remoteAddress: this.remoteAddress, state: this.current };
  }

  [inspect.custom](): string {
    return `Connection ${JSON.stringify(this.toJSON())}`;
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.ending()) return;
    const frames = this.reader.read(data, isBinary, this.current, this.sessionRef);
    if (!frames) return;
    const heard = this.welcomed && this.host.events.listenerCount('message') > 0; // no object per heartbeat for nobody
    if (heard) this.host.events.emit('message', { connection: this, frames: frames.length, bytes: this.reader.lastBytes });
    if (this.current === ConnectionState.Open) this.silence.extend();
    // Frames right behind HELLO wait in the handshake for WELCOME (PROTOCOL.md section 3, "Early frames").
    if (this.current === ConnectionState.Authenticating) return this.handshake.hold(frames, this.reader.lastBytes);
    for (const frame of frames) {
      if (this.ending()) break;
      this.handle(frame);
    }
    // Answers produced synchronously (PONG, sync replies) leave now, together, in one message.
    if (this.current === ConnectionState.Open) this.writer.flush();
  }

  private handle(frame: Frame): void {
    switch (frame[0]) {
      case Op.Hello:
        this.hello(frame[1]);
        break;
      case Op.Ping:
        this.writer.send([Op.Pong, frame[1], this.silence.time()]);
        break;
      default:
        // admit() lets an application frame through only once welcomed, when the exchange exists.
        (this.exchange as Exchange).handle(frame);
        break;
    }
  }

  private hello(hello: Readonly<Hello>): void {
    const unsupported = versionError(hello);
    if (unsupported) {
      this.protocolError(unsupported, CloseCode.UnsupportedVersion);
      return;
    }
    this.channel = hello.channel;
    this.setState(ConnectionState.Authenticating);
    this.handshake.begin(hello);
  }

  private welcome(user: object | undefined, resume: ResumeRequest | undefined, early: readonly Frame[]): void {
    this.user = user;
    const { session, resumed, missing, previousRecv } = this.host.sessions.open(this, this.channel, resume, user);
    this.sessionRef = session;
    this.session = session.id;
    this.exchange = new Exchange(this, session, this.host.handlers, this.options.clock, {
      // A handler may answer after the connection stopped being open: the exchange reports that answer dropped.
      answer: (frame) => {
        if (this.current !== ConnectionState.Open) return false;
        this.writer.send(frame);
        return true;
      },
      error: (error) => this.reportError(error),
    });
    this.handshake.cancel();
    this.setState(ConnectionState.Open);
    this.welcomed = true;
    const welcome = welcomeFor(session.id, this.options.heartbeatMs, this.silence.time(), resumed, session.welcomeRecv, previousRecv, this.options.maxEarlyBytes);
    this.writer.send([Op.Welcome, welcome]);
    // What the client lacks goes right after WELCOME, in order, before anything new can be queued.
    for (const message of missing) this.writer.add(message.frame);
    this.silence.extend();
    this.host.opened(this, session, resumed, resume !== undefined && !resumed);
    for (const frame of early) if (!this.ending()) this.handle(frame);
  }

  private protocolError(error: ProtocolError, closeCode: number): void {
    this.shutdown(closeCode, clampReason(error.message));
    this.host.events.emit('protocolError', { error, connection: this, closeCode });
  }

  private limitExceeded(limit: LimitName, reason = `rate limit: ${limit}`): void {
    this.shutdown(CloseCode.RateLimited, reason);
    this.host.events.emit('limited', { limit, remoteAddress: this.remoteAddress, connection: this });
  }

  /** Moves to closing and releases timers and pending requests; false when already closing or closed. */
  private beginClose(code: number, reason: string): boolean {
    if (this.ending()) return false;
    this.setState(ConnectionState.Closing);
    this.release();
    this.exit.begin(code, reason, this.options.closeTimeoutMs);
    return true;
  }

  private socketError(err: Error): void {
    const refusal = wsRefusal(err);
    if (!refusal) {
      this.reportError(err);
      return;
    }
    // ws has already sent its own close frame for what it refused: there is no room left for a BYE.
    this.beginClose(refusal.closeCode, clampReason(err.message));
    this.host.events.emit('protocolError', { connection: this, ...refusal });
  }

  private socketClosed(code: number, reason: string): void {
    if (this.current === ConnectionState.Closed) return;
    const closedWith = this.exit.closed(code, reason);
    this.setState(ConnectionState.Closed);
    this.release();
    this.writer.discard();
    if (this.sessionRef) this.host.sessions.detach(this.sessionRef, this);
    this.host.closed(this, closedWith.code, closedWith.reason, this.welcomed);
    this.exit.done();
  }

  private release(): void {
    this.handshake.cancel();
    this.silence.cancel();
    this.exchange?.close();
  }

  private reportError(error: Error): void {
    this.host.events.emit('error', { error, connection: this });
  }

  /** Runs a socket callback so that nothing escapes into ws (which would crash the process). */
  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.reportError(asError(err));
    }
  }

  /** True once closing or closed: a method, so that the compiler does not narrow it across a handler call. */
  private ending(): boolean {
    return this.current === ConnectionState.Closing || this.current === ConnectionState.Closed;
  }

  /** The one place the state changes; the allowed transitions are documented on {@link ConnectionState}. */
  private setState(next: ConnectionState): void {
    this.current = next;
  }
}
