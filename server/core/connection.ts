import { inspect } from 'node:util';
import type { RawData, WebSocket } from 'ws';
import { Timer } from '../../src/time/timer';
import { FrameCodec } from '../../src/wire/codec';
import { CloseCode, ProtocolErrorCode } from '../../src/codes';
import { ProtocolError } from '../../src/errors';
import { type Frame, type Hello, Op } from '../../src/wire/protocol';
import { validateTopic } from '../../src/routing/topics';
import { FloodGuard, type LimitName } from './abuse';
import { admit, admitSequenced, wsRefusal } from './admission';
import { clampReason } from './close-reason';
import { checkCloseOption } from '../../src/transport/types';
import { Deadline } from '../../src/time/deadline';
import { ServerError, ServerErrorCode } from './errors';
import type { Emitter, ServerEventMap } from './events';
import { type AuthOutcome, runAuthenticate, versionError, welcomeFor } from './handshake';
import { checkDuration, type ResolvedServerOptions } from './options';
import { Batcher, type EndOfTurn } from '../../src/wire/batcher';
import { PendingRequests } from '../../src/reliable/requests';
import type { Handlers, RequestOutcome } from './handlers';
import type { Session, SessionLink } from '../sessions/session';
import type { ResumeRequest } from '../sessions/kept';
import type { Sessions } from '../sessions/sessions';
import { ConnectionState, type MessageKind, type RequestOptions, type SendReliableOptions } from './types';

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  readonly handlers: Handlers;
  readonly events: Emitter<ServerEventMap>;
  readonly sessions: Sessions;
  /** The handshake succeeded and WELCOME (with any retransmitted frames after it) is queued. */
  opened(connection: Connection, session: Session, resumed: boolean): void;
  /** The socket is gone; `welcomed` says whether `opened` was called for it. */
  closed(connection: Connection, code: number, reason: string, welcomed: boolean): void;
}

/** A connection's frames of one turn go out after the socket's I/O callbacks: replies to a burst share a message. */
const afterIo: EndOfTurn = (run) => {
  const immediate = setImmediate(run);
  return () => clearImmediate(immediate);
};

/**
 * One client socket and its protocol state machine (the transition table is on {@link ConnectionState}): the
 * handshake, heartbeat deadline, routing of inbound frames, server-to-client requests, and the BYE-then-close exit.
 * Reliable delivery belongs to its session, which outlives it. Every socket callback is guarded so that nothing a
 * client sends can throw out of it.
 */
export class Connection implements SessionLink {
  channel = '';
  session = '';
  user: object | undefined;
  private sessionRef: Session | undefined;
  private resumeAsk: ResumeRequest | undefined;
  /** Settles once the socket is closed and everything this connection held is released. */
  readonly whenClosed: Promise<void>;
  private current: ConnectionState = ConnectionState.AwaitingHello;
  private welcomed = false;
  private closeCode = 1006;
  private closeReason = '';
  private closedByServer = false;
  private markClosed!: () => void;
  private readonly options: ResolvedServerOptions;
  private readonly codec: FrameCodec;
  private readonly batcher: Batcher;
  private readonly pending: PendingRequests;
  private readonly handshakeDeadline: Deadline;
  private readonly heartbeatDeadline: Deadline;
  private readonly killTimer: Timer;
  private readonly flood: FloodGuard | undefined;
  private readonly outcome: RequestOutcome;
  /** Made once: a PUSH handler's failure is reported through it, and a closure per inbound frame would be garbage. */
  private readonly handlerFailed: (error: Error) => void;
  private readonly authOutcome: AuthOutcome;

  constructor(private readonly ws: WebSocket, readonly id: string, readonly remoteAddress: string, private readonly host: ConnectionHost) {
    const options = (this.options = host.options);
    this.whenClosed = new Promise((resolve) => (this.markClosed = resolve));
    this.codec = new FrameCodec(options.limits);
    const write = (message: ArrayBuffer): void => {
      ws.send(message);
      // A client that stops reading would otherwise make this buffer, and the server's memory, grow without bound.
      if (ws.bufferedAmount > options.maxBufferedBytes) this.slowConsumer();
    };
    this.batcher = new Batcher(options.clock, options.limits.maxFrameBytes, options.maxBatchBytes, 0, write, { endOfTurn: afterIo, initialBytes: 1024 });
    this.pending = new PendingRequests(
      options.clock,
      (topic, timeoutMs) => new ServerError(ServerErrorCode.Timeout, `request "${topic}" got no reply within ${timeoutMs} ms`),
    );
    this.handshakeDeadline = new Deadline(options.clock, () =>
      this.shutdown(CloseCode.HeartbeatTimeout, this.current === ConnectionState.AwaitingHello ? 'no HELLO in time' : 'handshake timed out'),
    );
    this.heartbeatDeadline = new Deadline(options.clock, () => this.shutdown(CloseCode.HeartbeatTimeout, 'heartbeat timeout'));
    // A peer that never answers our close frame would hold the socket until ws's own 30 s timer.
    this.killTimer = new Timer(options.clock, () => ws.terminate());
    this.flood = options.rateLimit ? new FloodGuard(options.rateLimit, options.clock) : undefined;
    this.handlerFailed = (error) => this.reportError(error);
    this.outcome = {
      reply: (requestId, value) => this.answer([Op.Reply, requestId, value]),
      fail: (requestId, code, message) => this.answer([Op.Fail, requestId, code, message]),
      error: (error) => this.reportError(error),
    };
    this.authOutcome = { accept: (user) => this.guard(() => this.accept(user)), refuse: (threw) => this.guard(() => this.refuse(threw)) };
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.guard(() => this.receive(data, isBinary)));
    ws.on('error', (err) => this.guard(() => this.socketError(err)));
    ws.on('close', (code, reason) => this.guard(() => this.socketClosed(code, reason.toString())));
    this.handshakeDeadline.setIn(options.helloTimeoutMs);
  }

  get state(): ConnectionState {
    return this.current;
  }

  push(topic: string, payload: unknown): boolean {
    validateTopic(topic);
    if (this.current !== ConnectionState.Open) return false;
    this.send([Op.Push, topic, payload]);
    return true;
  }

  /** Queues a frame another codec already encoded (a broadcast encodes once for everyone); false unless open. */
  pushEncoded(frame: Uint8Array): boolean {
    if (this.current !== ConnectionState.Open) return false;
    this.batcher.add(frame);
    return true;
  }

  sendReliable(topic: string, payload: unknown, options?: SendReliableOptions): boolean {
    validateTopic(topic);
    return this.sessionRef ? this.sessionRef.sendReliable(topic, payload, options) : false;
  }

  sendAck(recv: number): void {
    if (this.current === ConnectionState.Open) this.send([Op.Ack, recv]);
  }

  /** @throws {UsageError} for a bad topic, timeout or payload; a closed connection rejects with `not_open` instead. */
  request(topic: string, payload: unknown, options: RequestOptions = {}): Promise<unknown> {
    validateTopic(topic);
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    checkDuration('timeoutMs', timeoutMs, 1);
    if (this.current !== ConnectionState.Open) {
      return Promise.reject(new ServerError(ServerErrorCode.NotOpen, `connection ${this.id} is ${this.current}`));
    }
    const { id, promise } = this.pending.create(topic, timeoutMs);
    try {
      this.send([Op.Request, id, topic, payload]);
    } catch (err) {
      this.pending.discard(id);
      throw err;
    }
    return promise;
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    checkCloseOption({ code });
    this.shutdown(code, clampReason(String(reason)));
  }

  /** Sends BYE `code` (after anything still queued) and closes; a no-op once closing. `reason` must already fit. */
  shutdown(code: number, reason: string): void {
    if (!this.beginClose(code, reason)) return;
    this.send([Op.Bye, code, reason]);
    this.batcher.flush();
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
    let frames: Frame[];
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
    const over = this.flood?.admit(bytes.byteLength);
    if (over) {
      this.limitExceeded(over);
      return;
    }
    try {
      if (!isBinary) throw new ProtocolError(ProtocolErrorCode.TextMessage, 'text messages are not part of the protocol; send binary');
      frames = this.codec.decode(bytes);
      admit(this.current, frames);
      if (this.sessionRef) admitSequenced(frames, this.sessionRef.recv, this.sessionRef.sent);
    } catch (err) {
      this.protocolError(asProtocolError(err), CloseCode.ProtocolError);
      return;
    }
    if (this.welcomed) this.host.events.emit('message', { connection: this, frames: frames.length, bytes: bytes.byteLength });
    if (this.current === ConnectionState.Open) this.extendHeartbeat();
    for (const frame of frames) {
      if (this.ending()) break;
      this.handle(frame);
    }
    // Answers produced synchronously (PONG, sync replies) leave now, together, in one message.
    if (this.current === ConnectionState.Open) this.batcher.flush();
  }

  private handle(frame: Frame): void {
    switch (frame[0]) {
      case Op.Hello:
        this.hello(frame[1]);
        break;
      case Op.Ping:
        this.send([Op.Pong, frame[1], this.now()]);
        break;
      case Op.Push:
        this.dispatch(frame[1], frame[2], 'push');
        break;
      case Op.Request:
        this.host.handlers.dispatchRequest(frame[1], frame[3], { connection: this, session: this.welcomedSession(), topic: frame[2], kind: 'request' }, this.outcome);
        break;
      case Op.Reply:
        this.pending.reply(frame[1], frame[2]);
        break;
      case Op.Fail:
        this.pending.fail(frame[1], frame[2], frame[3]);
        break;
      case Op.Reliable:
        // A duplicate is dropped (and acknowledged again); admitSequenced() already refused a gap.
        if (this.welcomedSession().receive(frame[1])) this.dispatch(frame[2], frame[3], 'reliable', frame[1]);
        break;
      case Op.Ack:
        this.welcomedSession().acknowledge(frame[1]);
        break;
      default:
        // admit() lets no other opcode through.
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
    if (hello.session !== undefined && hello.recv !== undefined) this.resumeAsk = { session: hello.session, recv: hello.recv };
    this.setState(ConnectionState.Authenticating);
    runAuthenticate(this.options.authenticate, hello, this.authOutcome);
  }

  private accept(user: object | undefined): void {
    // The socket may have closed, or the handshake deadline passed, while an async hook ran.
    if (this.current !== ConnectionState.Authenticating) return;
    const ask = this.resumeAsk;
    if (ask && this.host.sessions.shared) {
      // The session may be another process's: take it from the shared store first (fetch never rejects). A store out
      // of reach refuses the resume retryably: a new session would lose or repeat what the stored one holds.
      void this.host.sessions.fetch(ask, this.channel).then((reached) =>
        this.guard(() => (reached ? this.welcome(user) : this.shutdown(CloseCode.ServerRestart, 'session store unavailable'))),
      );
      return;
    }
    this.welcome(user);
  }

  private welcome(user: object | undefined): void {
    if (this.current !== ConnectionState.Authenticating) return;
    this.user = user;
    const { session, resumed, missing, previousRecv } = this.host.sessions.open(this, this.channel, this.resumeAsk, user);
    this.resumeAsk = undefined;
    this.sessionRef = session;
    this.session = session.id;
    this.handshakeDeadline.cancel();
    this.setState(ConnectionState.Open);
    this.welcomed = true;
    this.send([Op.Welcome, welcomeFor(session.id, this.options.heartbeatMs, this.now(), resumed, session.welcomeRecv, previousRecv)]);
    // What the client lacks goes right after WELCOME, in order, before anything new can be queued.
    for (const message of missing) this.batcher.add(message.frame);
    this.extendHeartbeat();
    this.host.opened(this, session, resumed);
  }

  private refuse(threw: boolean): void {
    if (this.current !== ConnectionState.Authenticating) return;
    if (threw) {
      // Deliberately without `cause`: what the hook threw may quote the token.
      this.reportError(new ServerError(ServerErrorCode.AuthenticateFailed, 'the authenticate hook threw; the client was refused'));
    }
    this.shutdown(CloseCode.Unauthorized, 'unauthorized');
  }

  private dispatch(topic: string, payload: unknown, kind: MessageKind, seq?: number): void {
    const ctx = { connection: this, session: this.welcomedSession(), topic, kind, seq };
    this.host.handlers.dispatchPush(payload, ctx, this.handlerFailed);
  }

  /** The session of a welcomed connection (application frames are admitted only once it has one). */
  private welcomedSession(): Session {
    return this.sessionRef as Session;
  }

  /** Sends a REPLY or FAIL, unless the connection stopped being open while the handler ran. */
  private answer(frame: Frame): void {
    if (this.current === ConnectionState.Open) this.send(frame);
  }

  private send(frame: Frame): void {
    this.batcher.add(this.codec.encodeShared(frame));
  }

  private extendHeartbeat(): void {
    this.heartbeatDeadline.setIn(this.options.heartbeatMs + this.options.heartbeatGraceMs);
  }

  private protocolError(error: ProtocolError, closeCode: number): void {
    this.shutdown(closeCode, clampReason(error.message));
    this.host.events.emit('protocolError', { error, connection: this, closeCode });
  }

  private limitExceeded(limit: LimitName): void {
    this.shutdown(CloseCode.RateLimited, `rate limit: ${limit}`);
    this.host.events.emit('limited', { limit, remoteAddress: this.remoteAddress, connection: this });
  }

  private slowConsumer(): void {
    if (this.ending()) return;
    this.shutdown(CloseCode.RateLimited, 'slow consumer: send buffer over maxBufferedBytes');
    this.host.events.emit('limited', { limit: 'maxBufferedBytes', remoteAddress: this.remoteAddress, connection: this });
  }

  /** Moves to closing and releases timers and pending requests; false when already closing or closed. */
  private beginClose(code: number, reason: string): boolean {
    if (this.ending()) return false;
    this.setState(ConnectionState.Closing);
    this.closedByServer = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.release();
    this.killTimer.schedule(this.options.closeTimeoutMs);
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
    if (!this.closedByServer) {
      this.closeCode = code;
      this.closeReason = reason;
    }
    this.setState(ConnectionState.Closed);
    this.release();
    this.killTimer.cancel();
    this.batcher.discard();
    if (this.sessionRef) this.host.sessions.detach(this.sessionRef, this);
    this.host.closed(this, this.closeCode, this.closeReason, this.welcomed);
    this.markClosed();
  }

  private release(): void {
    this.handshakeDeadline.cancel();
    this.heartbeatDeadline.cancel();
    if (this.pending.size > 0) {
      const error = new ServerError(ServerErrorCode.Disconnected, `connection ${this.id} closed before the reply`);
      this.pending.rejectAll(() => error);
    }
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

  /** Clock time as a msgpack uint: the client's validator refuses a fraction. */
  private now(): number {
    return Math.floor(this.options.clock.now());
  }
}

function asProtocolError(err: unknown): ProtocolError {
  return err instanceof ProtocolError ? err : new ProtocolError(ProtocolErrorCode.Malformed, asError(err).message);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
