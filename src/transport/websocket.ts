/**
 * The standard WebSocket transport, for browsers, Node 22's global `WebSocket` and the `ws` package, adapted to
 * {@link SocketLike}. Listeners go through `addEventListener`, which all three implement. Binary arrives as an
 * ArrayBuffer (`binaryType = 'arraybuffer'`; a view some runtime hands over anyway is copied to exactly its bytes),
 * `send` refuses anything but a string or an exact ArrayBuffer (views are copied) and fails, with an `onError`, when
 * the socket is not open. `ws://` is allowed here: browsers and tests legitimately use it on a LAN or 127.0.0.1.
 */

import { UsageErrorCode } from '../codes';
import { checkOptionNames } from '../defaults';
import { UsageError } from '../errors';
import {
  ABNORMAL_CLOSE_CODE,
  checkCloseOption,
  defer,
  describeError,
  isArrayBuffer,
  ListenedSocket,
  toSendable,
  type SocketCloseOption,
  type SocketLike,
  type SocketSendOption,
  type Transport,
  type TransportConnectOptions,
} from './types';

/** The fields this transport reads from a WebSocket event (open, message, error or close). */
export interface WebSocketEventLike {
  readonly type?: string;
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  /** Set by `ws` and Node on error events; a browser's error event carries no text. */
  readonly message?: string;
}

/** The part of a WHATWG WebSocket this transport uses; a browser's, Node's and the `ws` package's all fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (event: WebSocketEventLike) => void): void;
}

/** A WebSocket constructor; the third argument (handshake headers) is passed only when headers are given. */
export type WebSocketLikeCtor = new (
  url: string,
  protocols?: string[],
  options?: { headers: Record<string, string> },
) => WebSocketLike;

/** Options of {@link webSocketTransport}. */
export interface WebSocketTransportOptions {
  /** The transport's name in messages and stats. Default `'websocket'`. */
  name: string;
}

const OPEN = 1;

/**
 * A {@link Transport} over a standard WebSocket constructor. Headers reach the handshake only where the constructor
 * takes them (the `ws` package); browsers ignore the third argument. `timeoutMs` and `tcpNoDelay` are not applied:
 * the runtime's own connect deadline bounds the attempt.
 */
export function webSocketTransport(
  WebSocketCtor: WebSocketLikeCtor,
  options: Readonly<Partial<WebSocketTransportOptions>> = {},
): Transport {
  // Without this, every attempt would fail later, and for ever, with the engine's "is not a constructor".
  if (typeof WebSocketCtor !== 'function') {
    throw new UsageError(
      UsageErrorCode.InvalidArgument,
      `webSocketTransport needs a WebSocket constructor (the browser's WebSocket, or require('ws')), got ${WebSocketCtor === null ? 'null' : typeof WebSocketCtor}`,
    );
  }
  checkOptionNames('webSocketTransport', options, ['name']);
  const name = options.name ?? 'websocket';
  return { name, connect: (connectOptions) => new StandardSocket(WebSocketCtor, connectOptions) };
}

function toMessageData(data: unknown): string | ArrayBuffer | undefined {
  if (typeof data === 'string' || isArrayBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return toSendable(data) as ArrayBuffer;
  return undefined;
}

class StandardSocket extends ListenedSocket implements SocketLike {
  private readonly socket: WebSocketLike | undefined;

  constructor(WebSocketCtor: WebSocketLikeCtor, options: TransportConnectOptions) {
    super();
    const protocols = options.protocols ? [...options.protocols] : [];
    try {
      this.socket = options.header
        ? new WebSocketCtor(options.url, protocols, { headers: { ...options.header } })
        : new WebSocketCtor(options.url, protocols);
      this.socket.binaryType = 'arraybuffer';
      this.listen(this.socket);
    } catch (err) {
      // A bad URL or subprotocol throws from the constructor; report it like any other failed connect.
      this.socket = undefined;
      const errMsg = `connectSocket:fail ${describeError(err)}`;
      defer(() => {
        this.events.emit('error', { errMsg });
        this.events.emit('close', { code: ABNORMAL_CLOSE_CODE, reason: errMsg });
      });
    }
  }

  send(option: SocketSendOption): void {
    const data = toSendable(option.data);
    const socket = this.socket;
    let errMsg: string | undefined;
    if (!socket || socket.readyState !== OPEN) {
      errMsg = `sendSocketMessage:fail WebSocket is not connected (readyState ${socket ? socket.readyState : 'none'})`;
    } else {
      try {
        socket.send(data);
      } catch (err) {
        errMsg = `sendSocketMessage:fail ${describeError(err)}`;
      }
    }
    // A send that worked and asked for no success/complete callback has nothing to report: no promise, no microtask
    // (the hot path: a channel passes only `fail`).
    if (errMsg === undefined && !option.success && !option.complete) return;
    this.settle(option, errMsg, 'sendSocketMessage:ok');
  }

  close(option: SocketCloseOption = {}): void {
    checkCloseOption(option);
    let errMsg: string | undefined;
    try {
      // A reason needs a code on the wire; 1000 is what the caller means by a reason alone.
      const code = option.code ?? (option.reason !== undefined ? 1000 : undefined);
      if (code === undefined) this.socket?.close();
      else this.socket?.close(code, option.reason ?? '');
    } catch (err) {
      errMsg = `closeSocket:fail ${describeError(err)}`;
    }
    this.settle(option, errMsg, 'closeSocket:ok');
  }

  /**
   * Answers a call's callbacks later, as the platform does (never inside the call): `success` or `fail`, then
   * `complete`; a failure is also an `error` event.
   */
  private settle(option: SocketSendOption | SocketCloseOption, errMsg: string | undefined, ok: string): void {
    defer(() => {
      if (errMsg === undefined) {
        this.events.protect(option.success)({ errMsg: ok });
      } else {
        this.events.protect(option.fail)({ errMsg });
        this.events.emit('error', { errMsg });
      }
      this.events.protect(option.complete)({ errMsg: errMsg ?? ok });
    });
  }


  private listen(socket: WebSocketLike): void {
    socket.addEventListener('open', () => this.events.emit('open', {}));
    socket.addEventListener('message', (event) => {
      const data = toMessageData(event?.data);
      if (data === undefined) {
        this.events.emit('error', { errMsg: `unsupported message data: ${Object.prototype.toString.call(event?.data)}` });
      } else {
        this.events.emit('message', { data });
      }
    });
    socket.addEventListener('error', (event) => this.events.emit('error', { errMsg: event?.message || 'WebSocket error' }));
    socket.addEventListener('close', (event) =>
      this.events.emit('close', {
        code: typeof event?.code === 'number' ? event.code : ABNORMAL_CLOSE_CODE,
        reason: typeof event?.reason === 'string' ? event.reason : '',
      }),
    );
  }
}
