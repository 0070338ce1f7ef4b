import type { ResolvedChannelOptions } from './options';
import { encodeOnce, type WireData } from '../wire/codec';
import { CloseCode, TransportErrorCode } from '../codes';
import { describeError, TransportError, UsageError } from '../errors';
import type { CodecLimits } from '../wire/limits';
import { type Hello, Op, PROTOCOL_VERSION } from '../wire/protocol';
import { isThenable } from '../routing/router';
import { StateReason } from './state';
import { Timer } from '../time/timer';
import { isSocketLimitError } from '../transport/errors';
import type { SocketCallbackResult, SocketLike } from '../transport/types';

const NOOP = () => undefined;

/**
 * How long a socket whose send failed may take to report its own close before the send failure stands as the cause,
 * ms. A send fails when the server's close frame has arrived and the close event has not (`readyState 2`): the close,
 * with the server's code and reason, follows within the close handshake's round trip, and it says far more.
 */
export const SEND_FAILURE_GRACE_MS = 1000;

/**
 * Where an attempt hands its socket's messages (the channel's receiver): `receive` for each one as it arrives, `flush`
 * when the socket errs or closes, so what it delivered before is handled first.
 */
export interface MessageSink {
  receive(data: WireData): void;
  flush(): void;
}

/**
 * What a {@link ConnectionAttempt} reports to its channel. Socket callbacks arrive only while the connection is current:
 * once abandoned, a late callback from its socket is dropped here and never reaches the channel.
 */
export interface AttemptHandler {
  /** Whether the channel still waits for this attempt; asked again after each step that may have yielded. */
  wanted(connection: ConnectionAttempt): boolean;
  /** The attempt failed before it had a socket; `reason` is the {@link StateReason} to report. */
  failed(reason: string, error: TransportError): void;
  /** The transport refused the configuration itself, so every later attempt would fail the same way. */
  refused(error: UsageError): void;
  /** The socket opened; `hello` encodes the HELLO to send first (called only when the channel goes on to send it). */
  opened(connection: ConnectionAttempt, hello: () => ArrayBuffer): void;
  /**
   * The socket failed (`socket_error`), closed (`socket_closed`, with its code) or could not send (`send_failed`); what
   * it delivered before has been handled.
   */
  dropped(connection: ConnectionAttempt, reason: string, info: { code?: number; closeReason?: string; error?: TransportError }): void;
}

/**
 * One connection attempt of a channel: the token, one socket, the HELLO it opens with, and the generation check that
 * silences the socket once the channel has moved on. A channel makes a new one for every attempt.
 */
export class ConnectionAttempt {
  private socket: SocketLike | undefined;
  private opened = false;
  private stale = false;
  /** Armed by a failed send: the socket's own close should come first; if not, the send failure is reported. */
  private readonly sendFailure: Timer;
  private sendError: TransportError | undefined;

  constructor(
    private readonly options: ResolvedChannelOptions,
    private readonly channel: string,
    private readonly limits: Readonly<CodecLimits>,
    /** The session fields (`session`, `recv`) for the HELLO, read when the socket is created. */
    private readonly sessionFields: () => Partial<Hello>,
    /** Where the socket's messages go, straight from its callback. */
    private readonly receiver: MessageSink,
    private readonly handler: AttemptHandler,
  ) {
    this.sendFailure = new Timer(options.clock, () => {
      if (!this.stale) this.handler.dropped(this, StateReason.SendFailed, { error: this.sendError });
    });
  }

  /** True while a failed send waits for the socket's close ({@link SEND_FAILURE_GRACE_MS}). */
  get armed(): boolean {
    return this.sendFailure.armed;
  }

  /** False once {@link abandon}ed: the channel has moved on to another attempt, or ended. */
  get current(): boolean {
    return !this.stale;
  }

  /** True once the transport has handed over a socket (before it opens). */
  get hasSocket(): boolean {
    return this.socket !== undefined;
  }

  /** True between the socket's open and {@link abandon}. */
  get open(): boolean {
    return this.opened;
  }

  /** Asks for the token (if the options have `getToken`), then opens the socket. */
  start(): void {
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
          if (this.handler.wanted(this)) this.openSocket(value);
        },
        (error: unknown) => {
          if (this.handler.wanted(this)) this.tokenFailed(error);
        },
      );
    } else {
      this.openSocket(token);
    }
  }

  /** Hands one message to the socket; a failure is reported as `sendFailed` unless the connection is stale by then. */
  send(data: ArrayBuffer): void {
    if (this.socket) this.socket.send({ data, fail: this.sendFailed });
  }

  /**
   * One handler for every send's failure (sends are the hot path: no closure per message). What the socket delivered
   * before comes first (a BYE among it says why); then the socket counts as no longer open, so later sends wait in the
   * outbox, and its own close gets {@link SEND_FAILURE_GRACE_MS} to arrive with the real code and reason.
   */
  private readonly sendFailed = ({ errMsg }: SocketCallbackResult): void => {
    if (this.stale) return;
    this.receiver.flush();
    if (this.stale || this.sendError) return;
    this.sendError = new TransportError(TransportErrorCode.SendFailed, `send failed: ${errMsg}`, errMsg);
    this.opened = false;
    this.sendFailure.schedule(SEND_FAILURE_GRACE_MS);
  };

  /** Closes the socket, if there is one; unless abandoned first, its close event still reaches the channel. */
  close(code: number, reason: string): void {
    if (this.socket) safeClose(this.socket, code, reason);
  }

  /** Silences the socket: from now on its callbacks are ignored (a late open closes it); {@link close} still works. */
  abandon(): void {
    this.stale = true;
    this.opened = false;
    this.sendFailure.cancel();
  }

  private tokenFailed(error: unknown): void {
    const cause = describeError(error);
    this.handler.failed(StateReason.TokenFailed, new TransportError(TransportErrorCode.ConnectRefused, `getToken failed: ${cause}`));
  }

  private openSocket(token: unknown): void {
    if (!this.handler.wanted(this)) return;
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
      // A configuration the platform refuses outright will be refused on every attempt.
      if (error instanceof UsageError) this.handler.refused(error);
      else this.handler.failed(StateReason.SocketError, asTransportError(error));
      return;
    }
    this.socket = socket;
    this.opened = false;
    // Kept only by the open listener below, never in a field: nothing inspectable on the channel holds the token.
    const hello: Hello = { v: PROTOCOL_VERSION, channel: this.channel };
    if (typeof token === 'string') hello.token = token;
    Object.assign(hello, this.sessionFields());
    // Encoded on its own, never through the shared encoder or the batch buffer: nothing the channel keeps holds the token.
    const helloMessage = () => encodeOnce([Op.Hello, hello], this.limits);
    socket.onOpen(() => {
      if (this.stale) {
        // An abandoned socket (timed out, suspended) that opened late: closing now is the only way to release it.
        safeClose(socket, CloseCode.Normal, 'abandoned');
        return;
      }
      this.opened = true;
      this.handler.opened(this, helloMessage);
    });
    socket.onMessage(({ data }) => {
      if (!this.stale) this.receiver.receive(data);
    });
    socket.onError(({ errMsg }) => {
      // A failed send is reported as an error too; its close is what is awaited.
      if (this.stale || (this.sendError && errMsg === this.sendError.errMsg)) return;
      this.sendFailure.cancel();
      // What the socket delivered before the error comes first; a frame among it may have ended this attempt.
      this.receiver.flush();
      if (!this.stale) this.handler.dropped(this, StateReason.SocketError, { error: socketError(errMsg) });
    });
    socket.onClose(({ code, reason }) => {
      if (this.stale) return;
      this.sendFailure.cancel();
      this.receiver.flush();
      if (!this.stale) this.handler.dropped(this, StateReason.SocketClosed, { code: Number(code), closeReason: reason });
    });
  }
}

/** The error for a socket's `onError`: WeChat's limit of five sockets gets a code of its own. */
function socketError(errMsg: string): TransportError {
  const code = isSocketLimitError(errMsg) ? TransportErrorCode.SocketLimit : TransportErrorCode.SocketError;
  return new TransportError(code, code === TransportErrorCode.SocketLimit
    ? `the platform refused another socket (at most 5 at once on WeChat): ${errMsg}`
    : `socket error: ${errMsg}`, errMsg);
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
  return new TransportError(TransportErrorCode.ConnectRefused, `connect failed: ${describeError(error)}`);
}
