/**
 * Alipay and Taobao mini-programs (`my.connectSocket`), adapted to the wx shape that {@link wxTransport} handles. What
 * differs from wx (Alipay's documentation of `my.connectSocket` and SocketTask):
 *
 * - a SocketTask is returned only with `multiple: true` (before base library 2.9.1 the default is one global socket,
 *   the legacy API), so it is always passed;
 * - `fail` and `onError` report `{ error, errorMessage }` (a number and a text) rather than `{ errMsg }`;
 * - binary data: older base libraries carry it as base64 text flagged `isBuffer: true` (on send and on receive), newer
 *   ones as an ArrayBuffer; some deliver the message nested (`{ data: { data, isBuffer } }`). Every received form is
 *   accepted; what is sent is chosen by `binary` (an ArrayBuffer by default).
 */

import { UsageErrorCode } from '../codes';
import { checkOptionNames } from '../defaults';
import { UsageError } from '../errors';
import { fromBase64, toBase64 } from './base64';
import type { SocketCallbackResult, SocketCloseOption, SocketOpenResult, SocketSendOption, Transport } from './types';
import { type WxConnectSocketOption, type WxSocketApi, type WxSocketCloseResult, type WxSocketTask, wxTransport } from './wx';

/** How {@link alipayTransport} sends binary frames. */
export type AlipayBinaryForm = 'arraybuffer' | 'base64';

/** Options of {@link alipayTransport}. */
export interface AlipayTransportOptions {
  /** How binary frames are sent: `'arraybuffer'` (current base libraries) or `'base64'` text with `isBuffer: true` (older ones). Default `'arraybuffer'`. */
  binary: AlipayBinaryForm;
  /** Accept `ws://` URLs (the IDE, a LAN server). Default `false`. */
  allowInsecure: boolean;
  /** The transport's name in messages and stats. Default `'my'`. */
  name: string;
}

/** Alipay's callback result: `{ error, errorMessage }`, or wx's `{ errMsg }` on some versions and in the IDE. */
export interface AlipayCallbackResult {
  error?: number | string;
  errorMessage?: string;
  errMsg?: string;
}

/** The callbacks of Alipay's socket calls. */
export interface AlipayCallbacks {
  success?: (result: AlipayCallbackResult) => void;
  fail?: (result: AlipayCallbackResult) => void;
  complete?: (result: AlipayCallbackResult) => void;
}

/** A message as Alipay delivers it: the data itself, or nested one level, with `isBuffer` for base64 text. */
export interface AlipayMessageResult {
  data: string | ArrayBuffer | { data: string | ArrayBuffer; isBuffer?: boolean };
  isBuffer?: boolean;
}

/** Alipay's SocketTask, as far as the runtime uses it. */
export interface AlipaySocketTask {
  send(option: { data: string | ArrayBuffer; isBuffer?: boolean } & AlipayCallbacks): void;
  close(option: { code?: number; reason?: string } & AlipayCallbacks): void;
  onOpen(listener: (result: SocketOpenResult) => void): void;
  onMessage(listener: (result: AlipayMessageResult) => void): void;
  onError(listener: (result: AlipayCallbackResult) => void): void;
  onClose(listener: (result: WxSocketCloseResult) => void): void;
}

/** What {@link alipayTransport} passes to `my.connectSocket`. */
export interface AlipayConnectSocketOption extends Omit<WxConnectSocketOption, 'success' | 'fail'> {
  multiple: true;
  success?: (result: AlipayCallbackResult) => void;
  fail?: (result: AlipayCallbackResult) => void;
}

/** Any object with Alipay's `connectSocket`: `my` in Alipay and Taobao mini-programs. */
export interface AlipaySocketApi {
  connectSocket(option: AlipayConnectSocketOption): AlipaySocketTask | undefined;
}

/**
 * A {@link Transport} over Alipay's `my.connectSocket`: {@link wxTransport}'s rules (deferred refusals, close before
 * open, exact ArrayBuffers) with Alipay's differences adapted at this edge.
 * @throws {UsageError} as {@link wxTransport}, and for an object without `connectSocket`.
 */
export function alipayTransport(my: AlipaySocketApi, options: Readonly<Partial<AlipayTransportOptions>> = {}): Transport {
  checkOptionNames('alipayTransport', options, ['binary', 'allowInsecure', 'name']);
  const binary = options.binary ?? 'arraybuffer';
  if (!my || typeof my.connectSocket !== 'function') {
    throw new UsageError(UsageErrorCode.InvalidArgument, `alipayTransport needs Alipay's API object with connectSocket (my), got ${my === null ? 'null' : typeof my}`);
  }
  const api: WxSocketApi = { connectSocket: (option) => adaptTask(my.connectSocket(toAlipayOption(option)), binary) };
  return wxTransport(api, { allowInsecure: options.allowInsecure ?? false, name: options.name ?? 'my' });
}

/** Alipay's `{ error, errorMessage }` in wx's `{ errMsg }` form, keeping the number: `connectSocket:fail <text> (error 20)`. */
export function alipayErrMsg(result: AlipayCallbackResult | undefined, call: string): string {
  if (result && typeof result.errMsg === 'string') return result.errMsg;
  const text = result?.errorMessage ?? 'failed';
  return result?.error === undefined ? `${call}:fail ${text}` : `${call}:fail ${text} (error ${String(result.error)})`;
}

function toAlipayOption(option: WxConnectSocketOption): AlipayConnectSocketOption {
  const { success, fail, ...rest } = option;
  return {
    ...rest,
    multiple: true,
    success: success && (() => success({ errMsg: 'connectSocket:ok' })),
    fail: fail && ((result) => fail({ errMsg: alipayErrMsg(result, 'connectSocket') })),
  };
}

function callbackOf(callback: ((result: SocketCallbackResult) => void) | undefined, call: string) {
  return callback && ((result: AlipayCallbackResult) => callback({ errMsg: alipayErrMsg(result, call) }));
}

/** The data of a received message as the runtime takes it: an ArrayBuffer for binary, a string for text. */
export function alipayMessageData(result: AlipayMessageResult): string | ArrayBuffer {
  let data = result.data;
  let isBuffer = result.isBuffer;
  if (data !== null && typeof data === 'object' && !(data instanceof ArrayBuffer) && 'data' in data) {
    isBuffer = data.isBuffer ?? isBuffer;
    data = data.data;
  }
  if (typeof data === 'string' && isBuffer) {
    // Undecodable base64 stays text, which the codec refuses as a protocol error instead of reading garbage.
    return fromBase64(data) ?? data;
  }
  return data as string | ArrayBuffer;
}

function adaptTask(task: AlipaySocketTask | undefined, binary: AlipayBinaryForm): WxSocketTask {
  if (!task) return task as unknown as WxSocketTask;
  return {
    send: (option: SocketSendOption) => {
      const base64 = binary === 'base64' && typeof option.data !== 'string';
      task.send({
        data: base64 ? toBase64(option.data as ArrayBuffer) : option.data,
        ...(base64 ? { isBuffer: true } : {}),
        success: callbackOf(option.success, 'sendSocketMessage'),
        fail: callbackOf(option.fail, 'sendSocketMessage'),
        complete: callbackOf(option.complete, 'sendSocketMessage'),
      });
    },
    close: (option: SocketCloseOption) => {
      task.close({
        ...(option.code !== undefined ? { code: option.code } : {}),
        ...(option.reason !== undefined ? { reason: option.reason } : {}),
        success: callbackOf(option.success, 'closeSocket'),
        fail: callbackOf(option.fail, 'closeSocket'),
        complete: callbackOf(option.complete, 'closeSocket'),
      });
    },
    onOpen: (listener) => task.onOpen(listener),
    onMessage: (listener) => task.onMessage((result) => listener({ data: alipayMessageData(result) })),
    onError: (listener) => task.onError((result) => listener({ errMsg: alipayErrMsg(result, 'socket') })),
    onClose: (listener) => task.onClose(listener),
  };
}
