/**
 * The socket the runtime drives: the part of WeChat's `SocketTask` it uses, written structurally so a real
 * `WechatMiniprogram.SocketTask` or `WechatMinigame.SocketTask` is assignable with no cast (test/types proves it).
 * There is no `off*` and no `readyState`, as on the platform: callers guard each callback with a generation number.
 */

import { UsageErrorCode } from '../codes';
import { describeError, UsageError } from '../errors';
import { utf8Length } from '../wire/utf8';

export { describeError };

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

/*
 * Rules and plumbing both transports share: the close-code rule, the "only exact ArrayBuffers" send rule, and a
 * listener set that never lets a listener's exception reach the platform.
 */

/** Longest close `reason` the WebSocket protocol (and the platform) accepts, in UTF-8 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** The close code a socket reports when the connection ended without a close frame (or never opened). */
export const ABNORMAL_CLOSE_CODE = 1006;

/**
 * Checks a close request against the rule browsers and Android enforce: code 1000 or 3000–4999, reason at most 123
 * UTF-8 bytes.
 * @throws {UsageError} `invalid_close_code`, naming the bad code or reason.
 */
export function checkCloseOption(option: Readonly<SocketCloseOption>): void {
  const { code, reason } = option;
  if (code !== undefined && !(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    throw new UsageError(UsageErrorCode.InvalidCloseCode, `close code ${String(code)} is not 1000 or 3000–4999`);
  }
  if (reason !== undefined && utf8Length(reason) > MAX_CLOSE_REASON_BYTES) {
    throw new UsageError(
      UsageErrorCode.InvalidCloseCode,
      `close reason is ${utf8Length(reason)} UTF-8 bytes, over ${MAX_CLOSE_REASON_BYTES}: ${JSON.stringify(reason.slice(0, 40))}…`,
    );
  }
}

/** True for an ArrayBuffer from any realm (a jest sandbox, an iframe, Node's core), where `instanceof` may lie. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  // `instanceof` first: it is what every message of this realm passes, at a fraction of the tag lookup's cost.
  return value instanceof ArrayBuffer || Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/**
 * What may be handed to a platform's `send`: a string or an ArrayBuffer as is, and a view (Uint8Array, Buffer,
 * DataView) copied into a fresh ArrayBuffer of exactly its bytes, because devices reject views and sending
 * `view.buffer` would send the whole underlying buffer.
 * @throws {UsageError} `invalid_argument` for anything else.
 */
export function toSendable(data: unknown): string | ArrayBuffer {
  if (typeof data === 'string' || isArrayBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) {
    const copy = new ArrayBuffer(data.byteLength);
    new Uint8Array(copy).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return copy;
  }
  throw new UsageError(
    UsageErrorCode.InvalidArgument,
    `socket data must be a string or an ArrayBuffer, got ${describeValue(data)}`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Runs `fn` after the current call returns (a microtask), so no event reaches a caller before it could listen. */
export function defer(fn: () => void): void {
  Promise.resolve()
    .then(fn)
    .catch((err: unknown) => console.warn('multisocket: deferred socket callback threw', err));
}

/** The events of a {@link SocketLike}, each with its one context argument. */
interface SocketEventMap {
  open: SocketOpenResult;
  message: SocketMessageResult;
  error: SocketCallbackResult;
  close: SocketCloseResult;
}

type ListenerLists = { [K in keyof SocketEventMap]: Array<(result: SocketEventMap[K]) => void> };

/**
 * The listeners of one adapted socket. `close` is delivered at most once and is the last `open`/`message`/`close`
 * event; errors may still follow it. A listener that throws is reported to the error listeners (an error listener
 * that throws, to `console.warn`), never to the platform that called us.
 */
class SocketListeners {
  private readonly lists: ListenerLists = { open: [], message: [], error: [], close: [] };
  private closed = false;

  /** Whether `close` has been delivered. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds a listener; like the platform's, it can never be removed. */
  add<K extends keyof SocketEventMap>(kind: K, listener: (result: SocketEventMap[K]) => void): void {
    (this.lists[kind] as Array<(result: SocketEventMap[K]) => void>).push(listener);
  }

  /** Delivers an event to every listener of its kind, unless the socket has already reported its close. */
  emit<K extends keyof SocketEventMap>(kind: K, result: SocketEventMap[K]): void {
    if (this.closed && kind !== 'error') return;
    if (kind === 'close') this.closed = true;
    for (const listener of [...(this.lists[kind] as Array<(result: SocketEventMap[K]) => void>)]) {
      try {
        listener(result);
      } catch (err) {
        if (kind === 'error') console.warn('multisocket: a socket error listener threw', err);
        else this.emit('error', { errMsg: `a socket ${kind} listener threw: ${describeError(err)}` });
      }
    }
  }

  /**
   * Wraps a caller's callback, which may be absent, so its exception becomes an error event instead of reaching the
   * platform.
   */
  protect<T>(callback: ((result: T) => void) | undefined): (result: T) => void {
    return (result) => {
      try {
        callback?.(result);
      } catch (err) {
        this.emit('error', { errMsg: `a socket callback threw: ${describeError(err)}` });
      }
    };
  }
}

/** The listener half every adapted socket shares: `on*` register with one {@link SocketListeners}. */
export abstract class ListenedSocket {
  protected readonly events = new SocketListeners();

  onOpen(listener: (result: SocketOpenResult) => void): void {
    this.events.add('open', listener);
  }

  onMessage(listener: (result: SocketMessageResult) => void): void {
    this.events.add('message', listener);
  }

  onError(listener: (result: SocketCallbackResult) => void): void {
    this.events.add('error', listener);
  }

  onClose(listener: (result: SocketCloseResult) => void): void {
    this.events.add('close', listener);
  }
}
