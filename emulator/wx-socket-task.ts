import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../src/time/clock';

/** A platform callback. */
export type Callback<T> = (result: T) => void;
/** The platform's callback result. */
export type ErrMsg = { errMsg: string };
/** The success / fail / complete trio of every platform call. */
export interface CallCallbacks {
  success?: Callback<ErrMsg>;
  fail?: Callback<ErrMsg>;
  complete?: Callback<ErrMsg>;
}

/** `connectSocket`'s option, as wx takes it. */
export interface EmulatorConnectOption extends CallCallbacks {
  url: string;
  header?: Record<string, unknown>;
  protocols?: string[];
  timeout?: number;
  tcpNoDelay?: boolean;
  perMessageDeflate?: boolean;
}

/** A SocketTask: listener-only, no `off*`, no `readyState`. */
export interface EmulatedSocketTask {
  send(option: { data: string | ArrayBuffer } & CallCallbacks): void;
  close(option: { code?: number; reason?: string } & CallCallbacks): void;
  onOpen(listener: Callback<{ header: Record<string, unknown>; profile: Record<string, unknown> }>): void;
  onMessage(listener: Callback<{ data: string | ArrayBuffer }>): void;
  onError(listener: Callback<ErrMsg>): void;
  onClose(listener: Callback<{ code: number; reason: string }>): void;
}

/** What a task needs from the emulator that owns it. */
export interface TaskHost {
  readonly clock: Clock;
  /** The device's trust store (PEM CA certificates) for `wss://`; undefined: `wss://` goes over plain TCP. */
  readonly trustedCertificates: readonly string[] | undefined;
  isSuspended(): boolean;
  /** Runs `fn` on a later turn, as the native bridge delivers every callback. */
  later(fn: () => void): void;
  /** Calls a listener or callback, recording (not throwing) what it throws. */
  call<T>(callback: Callback<T> | undefined, result: T): void;
}

/** The errMsg of every network call made while the JS thread is suspended in the background. */
export const SUSPENDED = 'runningState=suspend, network api interrupted in suspend state';
const REFERER = 'https://servicewechat.com/wx0000000000000000/devtools/page-frame.html';
const MAX_TIMEOUT_MS = 60_000;

type Kind = 'open' | 'message' | 'error' | 'close';

/**
 * One emulated SocketTask over a real `ws` client connection. `task` is the object the runtime sees; the rest is
 * for the emulator and its test hooks.
 */
export class EmulatedTask {
  readonly task: EmulatedSocketTask;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Copies of what the app sent, in order. */
  readonly sent: Array<string | ArrayBuffer> = [];
  private ws: WebSocket | undefined;
  private blackholed = false;
  private timer: TimerHandle | undefined;
  private header: Record<string, unknown> = {};
  private readonly listeners: Record<Kind, Callback<never>[]> = { open: [], message: [], error: [], close: [] };

  constructor(private readonly host: TaskHost) {
    const on = (kind: Kind) => (listener: Callback<never>) => void this.listeners[kind].push(listener);
    this.task = {
      send: (option) => this.send(option),
      close: (option) => this.close(option),
      onOpen: on('open'),
      onMessage: on('message'),
      onError: on('error'),
      onClose: on('close'),
    };
  }

  /**
   * Opens the real connection, with the platform's fixed Referer and connect timeout: `wss` over TLS verified against
   * the emulated device's trust store when it has one (a device never connects to a certificate it does not trust:
   * there is no way to turn verification off), else over plain TCP.
   */
  connect(option: EmulatorConnectOption): void {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(option.header ?? {})) {
      if (key.toLowerCase() !== 'referer') headers[key] = String(value);
    }
    headers.Referer = REFERER;
    let ws: WebSocket;
    try {
      const trusted = this.host.trustedCertificates;
      const tls = trusted !== undefined && /^wss:/i.test(option.url);
      ws = new WebSocket(tls ? option.url : option.url.replace(/^wss:/i, 'ws:'), option.protocols ?? [], {
        headers,
        perMessageDeflate: option.perMessageDeflate ?? false,
        ...(tls ? { ca: [...trusted], rejectUnauthorized: true } : {}),
      });
    } catch (err) {
      return this.refuse(option, `createSocketTask:fail ${err instanceof Error ? err.message : String(err)}`);
    }
    this.ws = ws;
    this.wire(ws);
    const timeout = Math.min(option.timeout && option.timeout > 0 ? option.timeout : MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.state === 'connecting') this.cut(1006, '', 'Timed out connecting to server.');
    }, timeout);
    this.reply(option, true, 'connectSocket:ok');
  }

  /** Refuses the call: `fail`, then the task's `onError` and `onClose` (1006). */
  refuse(option: EmulatorConnectOption, errMsg: string): void {
    this.state = 'closed';
    this.reply(option, false, errMsg);
    this.host.later(() => {
      this.emit('error', { errMsg });
      this.emit('close', { code: 1006, reason: '' });
    });
  }

  /** Closes the task from the platform's side (timeout, background, network loss), killing its TCP connection. */
  cut(code: number, reason: string, errMsg?: string): void {
    if (this.state === 'closed') return;
    this.finish();
    this.ws?.terminate();
    this.host.later(() => {
      if (errMsg !== undefined) this.emit('error', { errMsg });
      this.emit('close', { code, reason });
    });
  }

  /** Destroys the TCP connection without a close frame; `ws` then reports close 1006, as a phone's stack does. */
  drop(): void {
    this.ws?.terminate();
  }

  /** Half-open: stops reading (so no message, pong or close frame is processed) and writing; nothing closes. */
  blackhole(): void {
    this.blackholed = true;
    this.ws?.pause();
  }

  /** Kills the connection without events; resolves once the client socket has closed. */
  dispose(): Promise<void> {
    this.finish();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.terminate();
    });
  }

  private wire(ws: WebSocket): void {
    ws.on('upgrade', (response) => (this.header = { ...response.headers }));
    ws.on('open', () => {
      if (this.state !== 'connecting') return;
      this.state = 'open';
      this.clearTimer();
      this.emit('open', { header: this.header, profile: {} });
    });
    ws.on('message', (raw, isBinary) => {
      if (this.state !== 'open' || this.blackholed) return;
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      this.emit('message', { data: isBinary ? exactArrayBuffer(bytes) : bytes.toString('utf8') });
    });
    ws.on('error', (err) => {
      if (this.state !== 'closed') this.emit('error', { errMsg: err.message });
    });
    ws.on('close', (code, reason) => {
      if (this.state === 'closed') return;
      this.finish();
      this.emit('close', { code, reason: reason.toString('utf8') });
    });
  }

  private send(option: Parameters<EmulatedSocketTask['send']>[0]): void {
    const { data } = option;
    const isBuffer = Object.prototype.toString.call(data) === '[object ArrayBuffer]';
    if (typeof data !== 'string' && !isBuffer) {
      return this.reply(option, false, 'sendSocketMessage:fail parameter error: parameter.data should be String or ArrayBuffer');
    }
    if (this.host.isSuspended()) return this.reply(option, false, `sendSocketMessage:fail ${SUSPENDED}`);
    const ws = this.ws;
    if (this.state !== 'open' || !ws) return this.reply(option, false, 'sendSocketMessage:fail WebSocket is not connected');
    this.sent.push(typeof data === 'string' ? data : data.slice(0));
    if (this.blackholed) return this.reply(option, true, 'sendSocketMessage:ok');
    const payload = typeof data === 'string' ? data : Buffer.from(new Uint8Array(data));
    ws.send(payload, { binary: typeof data !== 'string' }, (err) =>
      this.reply(option, !err, err ? `sendSocketMessage:fail ${err.message}` : 'sendSocketMessage:ok'),
    );
  }

  private close(option: Parameters<EmulatedSocketTask['close']>[0]): void {
    if (!option) throw new TypeError("Cannot read properties of undefined (reading 'code')");
    const { code, reason } = option;
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      return this.reply(option, false, 'fail:The code must be either 1000, or between 3000 and 4999');
    }
    if (reason !== undefined && Buffer.byteLength(reason) > 123) {
      return this.reply(option, false, 'closeSocket:fail reason is longer than 123 bytes');
    }
    // Before onOpen (and on a half-open socket) the close silently does nothing: the platform's documented trap.
    if (this.state === 'open' && !this.blackholed) this.ws?.close(code ?? 1000, reason ?? '');
    this.reply(option, true, 'closeSocket:ok');
  }

  private finish(): void {
    this.state = 'closed';
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emit(kind: Kind, result: unknown): void {
    for (const listener of [...this.listeners[kind]]) this.host.call(listener as Callback<unknown>, result);
  }

  /** Answers a call's success or fail, then complete, on a later turn as the platform does. */
  private reply(option: CallCallbacks, ok: boolean, errMsg: string): void {
    this.host.later(() => {
      this.host.call(ok ? option.success : option.fail, { errMsg });
      this.host.call(option.complete, { errMsg });
    });
  }
}

function exactArrayBuffer(bytes: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}
