/**
 * The mini-game / mini-program transport: sockets from a wx-shaped `connectSocket` (wx, tt, qq, swan, and uni when
 * called with callbacks), adapted to {@link SocketLike} with the platform's traps handled at this edge:
 *
 * - a refused call (`fail` callback or a throw) becomes `onError` then `onClose` (code 1006) on the returned socket,
 *   one microtask later, so a caller that attaches listeners right after `connect` never misses it;
 * - `close()` before `onOpen` is ignored by the platform, so it is remembered: the socket is closed right after it
 *   opens and that `onOpen` is not delivered;
 * - `send` accepts only a string or an ArrayBuffer; a view is copied into an exact-length ArrayBuffer (devices reject
 *   views, and `view.buffer` would send the whole underlying buffer); a failed send is also an `onError`;
 * - ByteDance's string close code becomes a number; `onClose` is delivered once and nothing but errors follows it.
 */

import { TransportErrorCode, UsageErrorCode } from '../codes';
import { checkOptionNames } from '../defaults';
import { UsageError } from '../errors';
import { isSocketLimitError } from './errors';
import { toConnectSocketOption, type WxConnectSocketOption } from './wx-option';

export type { WxConnectSocketOption } from './wx-option';
import {
  ABNORMAL_CLOSE_CODE,
  checkCloseOption,
  defer,
  describeError,
  ListenedSocket,
  toSendable,
  type SocketCallbackResult,
  type SocketCloseOption,
  type SocketLike,
  type SocketOpenResult,
  type SocketSendOption,
  type Transport,
} from './types';

/** Options of {@link wxTransport}. */
export interface WxTransportOptions {
  /** Accept `ws://` URLs, which only devtools with domain checks off, debug mode or a LAN IP allow. Default `false`. */
  allowInsecure: boolean;
  /** The transport's name in messages and stats. Default `'wx'`. */
  name: string;
}

/** `onClose`'s argument on every platform: ByteDance's `tt` sends `code` as a string. */
export interface WxSocketCloseResult {
  code: number | string;
  reason?: string;
}

/** A platform SocketTask as {@link wxTransport} receives it (a {@link SocketLike} whose close code may be a string). */
export interface WxSocketTask extends Omit<SocketLike, 'onClose'> {
  onClose(listener: (result: WxSocketCloseResult) => void): void;
}

/**
 * Any object with a wx-shaped `connectSocket`: `wx`, `tt`, `qq`, `swan`, `uni` (a real `WechatMinigame.Wx` fits), and
 * Taro, whose `Taro.connectSocket` returns a Promise of the SocketTask.
 */
export interface WxSocketApi {
  connectSocket(option: WxConnectSocketOption): WxSocketTask | PromiseLike<WxSocketTask>;
}

const NOT_CONNECTED = 'sendSocketMessage:fail WebSocket is not connected';

/**
 * A {@link Transport} over a wx-shaped `connectSocket`.
 * @throws {UsageError} from `connect`: `insecure_url` for `ws://` (unless `allowInsecure`), `invalid_argument` for
 *   a URL that is not `ws(s)://`, `forbidden_header` for `Referer`, `invalid_option` for a bad `timeoutMs`.
 */
export function wxTransport(api: WxSocketApi, options: Readonly<Partial<WxTransportOptions>> = {}): Transport {
  if (!api || typeof api.connectSocket !== 'function') {
    throw new UsageError(UsageErrorCode.InvalidArgument, `wxTransport needs the platform's API object with connectSocket (wx, tt, qq, ...), got ${api === null ? 'null' : typeof api}`);
  }
  checkOptionNames('wxTransport', options, ['allowInsecure', 'name']);
  const allowInsecure = options.allowInsecure || false;
  const name = options.name || 'wx';
  return {
    name,
    connect: (connectOptions) => new WxSocket(api, toConnectSocketOption(connectOptions, allowInsecure)),
  };
}

/** Classifies a platform `errMsg` so callers can react to the socket limit, a refused call or a failed send. */
export function wxErrorCode(errMsg: string): TransportErrorCode {
  if (isSocketLimitError(errMsg)) return TransportErrorCode.SocketLimit;
  if (/^sendSocketMessage:fail/i.test(errMsg)) return TransportErrorCode.SendFailed;
  if (/^(connectSocket|createSocketTask):fail/i.test(errMsg)) return TransportErrorCode.ConnectRefused;
  return TransportErrorCode.SocketError;
}

function closeCodeOf(code: number | string | undefined): number {
  const value = typeof code === 'string' ? Number(code) : code;
  return typeof value === 'number' && Number.isInteger(value) ? value : ABNORMAL_CLOSE_CODE;
}

class WxSocket extends ListenedSocket implements SocketLike {
  private task: WxSocketTask | undefined;
  /** Taro's promised SocketTask has not arrived yet. */
  private awaiting = false;
  private opened = false;
  /** A close asked for before `onOpen`, which the platform ignores: replayed right after it opens. */
  private closeAfterOpen: SocketCloseOption | undefined;
  /** The errMsg of a refused `connectSocket`, so the task's own report of the same refusal is not repeated. */
  private refusal: string | undefined;

  constructor(api: WxSocketApi, option: WxConnectSocketOption) {
    super();
    let task: WxSocketTask | PromiseLike<WxSocketTask> | undefined;
    try {
      // `option` is this socket's own. uni-app returns a Promise instead of a task unless a callback is passed, so one
      // always is.
      option.success = () => undefined;
      option.fail = (result) => this.refuse(result?.errMsg ?? 'connectSocket:fail');
      task = api.connectSocket(option);
    } catch (err) {
      this.refuse(`connectSocket:fail ${describeError(err)}`);
    }
    if (task && typeof (task as PromiseLike<WxSocketTask>).then === 'function') this.await(task as PromiseLike<WxSocketTask>);
    else this.adopt(task as WxSocketTask | undefined);
  }

  private adopt(task: WxSocketTask | undefined): void {
    if (task && typeof task.onOpen === 'function') {
      this.task = task;
      this.listen(task);
    } else {
      this.refuse('connectSocket:fail the platform returned no SocketTask');
    }
  }

  /** Taro: the task arrives later; a close asked for meanwhile is replayed when it opens, as before `onOpen`. */
  private await(promised: PromiseLike<WxSocketTask>): void {
    this.awaiting = true;
    promised.then(
      (task) => {
        this.awaiting = false;
        if (this.refusal === undefined) this.adopt(task);
      },
      (err: unknown) => {
        this.awaiting = false;
        this.refuse(`connectSocket:fail ${describeError(err)}`);
      },
    );
  }

  send(option: SocketSendOption): void {
    const data = toSendable(option.data);
    const fail = this.failure(option.fail, 'sendSocketMessage:fail');
    const task = this.task;
    if (!task) return this.failLater(option, fail, this.refusal || NOT_CONNECTED);
    try {
      // Only the callbacks the caller gave: each one given is a call back from native code, on every send.
      task.send({
        data,
        success: option.success && this.events.protect(option.success),
        fail,
        complete: option.complete && this.events.protect(option.complete),
      });
    } catch (err) {
      this.failLater(option, fail, `sendSocketMessage:fail ${describeError(err)}`);
    }
  }

  close(option: SocketCloseOption = {}): void {
    checkCloseOption(option);
    const task = this.task;
    if (!task && this.awaiting && !this.events.isClosed) this.closeAfterOpen = { code: option.code, reason: option.reason };
    if (!task || this.events.isClosed) {
      defer(() => {
        this.events.protect(option.success)({ errMsg: 'closeSocket:ok' });
        this.events.protect(option.complete)({ errMsg: 'closeSocket:ok' });
      });
      return;
    }
    if (!this.opened) this.closeAfterOpen = { code: option.code, reason: option.reason };
    this.closeTask(task, option);
  }


  private listen(task: WxSocketTask): void {
    task.onOpen((result) => this.guard(() => this.handleOpen(task, result)));
    task.onMessage((result) => this.guard(() => this.events.emit('message', { data: result.data })));
    task.onError((result) =>
      this.guard(() => {
        const errMsg = result?.errMsg ?? 'socket error';
        if (errMsg !== this.refusal) this.events.emit('error', { errMsg });
      }),
    );
    task.onClose((result) =>
      this.guard(() => {
        // After a refused call the refusal's own close (deferred, after its error) is the one delivered.
        if (this.refusal === undefined) this.events.emit('close', { code: closeCodeOf(result?.code), reason: result?.reason ?? '' });
      }),
    );
  }

  private handleOpen(task: WxSocketTask, result: SocketOpenResult | undefined): void {
    if (this.events.isClosed || this.opened) return;
    this.opened = true;
    const pending = this.closeAfterOpen;
    if (pending) {
      this.closeAfterOpen = undefined;
      this.closeTask(task, pending);
      return;
    }
    this.events.emit('open', result || {});
  }

  private closeTask(task: WxSocketTask, option: SocketCloseOption): void {
    // The platform's typings require an argument, and only defined fields are passed so its defaults apply.
    const fail = this.failure(option.fail, 'closeSocket:fail');
    const platformOption: SocketCloseOption = {
      success: this.events.protect(option.success),
      fail,
      complete: this.events.protect(option.complete),
    };
    if (option.code !== undefined) platformOption.code = option.code;
    if (option.reason !== undefined) platformOption.reason = option.reason;
    try {
      task.close(platformOption);
    } catch (err) {
      const errMsg = `closeSocket:fail ${describeError(err)}`;
      defer(() => fail({ errMsg }));
    }
  }

  private refuse(errMsg: string): void {
    if (this.refusal !== undefined) return;
    this.refusal = errMsg;
    defer(() => {
      this.events.emit('error', { errMsg });
      this.events.emit('close', { code: ABNORMAL_CLOSE_CODE, reason: errMsg });
    });
  }

  /** A platform `fail` callback: the caller's own `fail`, then an error event. */
  private failure(callback: ((result: SocketCallbackResult) => void) | undefined, fallback: string): (result: SocketCallbackResult) => void {
    return (result) => {
      this.events.protect(callback)(result);
      this.events.emit('error', { errMsg: result?.errMsg ?? fallback });
    };
  }

  private failLater(option: SocketSendOption, fail: (result: SocketCallbackResult) => void, errMsg: string): void {
    defer(() => {
      fail({ errMsg });
      this.events.protect(option.complete)({ errMsg });
    });
  }

  /** Runs a platform callback so that nothing it throws (a malformed result, say) reaches the platform. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.events.emit('error', { errMsg: `socket event handling failed: ${describeError(err)}` });
    }
  }
}
