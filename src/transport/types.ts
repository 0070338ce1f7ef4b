/**
 * The socket the runtime drives: the part of WeChat's `SocketTask` it uses, written structurally so a real
 * `WechatMiniprogram.SocketTask` or `WechatMinigame.SocketTask` is assignable with no cast (test/types proves it).
 * There is no `off*` and no `readyState`, as on the platform: callers guard each callback with a generation number.
 */

/** The platform's callback result for `send`, `close` and `onError`. */
export interface SocketCallbackResult {
  errMsg: string;
}

export interface SocketSendOption {
  data: string | ArrayBuffer;
  success?: (result: SocketCallbackResult) => void;
  fail?: (result: SocketCallbackResult) => void;
  complete?: (result: SocketCallbackResult) => void;
}

export interface SocketCloseOption {
  code?: number;
  reason?: string;
  success?: (result: SocketCallbackResult) => void;
  fail?: (result: SocketCallbackResult) => void;
  complete?: (result: SocketCallbackResult) => void;
}

export interface SocketOpenResult {
  header?: Record<string, unknown>;
  profile?: unknown;
}

export interface SocketMessageResult {
  data: string | ArrayBuffer;
}

export interface SocketCloseResult {
  /** A number; ByteDance's `tt` sends a string, which {@link wxTransport} converts. */
  code: number;
  reason: string;
}

export interface SocketLike {
  send(option: SocketSendOption): void;
  close(option: SocketCloseOption): void;
  onOpen(listener: (result: SocketOpenResult) => void): void;
  onMessage(listener: (result: SocketMessageResult) => void): void;
  onError(listener: (result: SocketCallbackResult) => void): void;
  onClose(listener: (result: SocketCloseResult) => void): void;
}

/** What a channel asks of a transport for one connection attempt. */
export interface TransportConnectOptions {
  url: string;
  /** Extra handshake headers (not `Referer`: the platform fixes it). */
  header?: Readonly<Record<string, string>>;
  protocols?: readonly string[];
  /** How long the platform may take to connect, ms; capped at the platform's 60 s. */
  timeoutMs?: number;
  tcpNoDelay?: boolean;
}

/**
 * A platform's way of opening sockets, injected into the runtime (nothing in src/ reads `wx` or `WebSocket`).
 * `connect` never throws for network reasons: refusals arrive through the socket's `onError` / `onClose`.
 */
export interface Transport {
  /** Short name for messages and stats, e.g. `wx` or `websocket`. */
  readonly name: string;
  /** @throws {UsageError} for options the platform would refuse outright (an insecure URL, a `Referer` header). */
  connect(options: TransportConnectOptions): SocketLike;
}
