import { fromBase64, toBase64 } from '../src/transport/base64';
import type { Callback, EmulatedSocketTask, EmulatorConnectOption, ErrMsg } from './wx-socket-task';
import type { WxEmulator } from './wx-emulator';

/**
 * Alipay's `my`, as a thin reshaping of the {@link WxEmulator} underneath (real sockets, the same limits, background cut
 * and network loss), giving them the shape Alipay's documentation describes:
 * - `connectSocket` returns a SocketTask only with `multiple: true` (otherwise the legacy single global socket, which
 *   this emulator does not offer: it returns undefined);
 * - `fail` and `onError` report `{ error, errorMessage }`, not `{ errMsg }`;
 * - with `binary: 'base64'` (older base libraries), binary data travels as base64 text flagged `isBuffer: true` both
 *   ways: sending an ArrayBuffer fails, and with `nested` each message arrives wrapped as `{ data: { data, isBuffer } }`.
 */
export interface MyEmulatorOptions {
  /** How binary data crosses the bridge. Default `'arraybuffer'`. */
  binary: 'arraybuffer' | 'base64';
  /** Deliver messages nested one level (`{ data: { data, isBuffer } }`). Default false. */
  nested: boolean;
}

/** A message as the emulated `my` delivers it. */
type MyMessage =
  | { data: string | ArrayBuffer; isBuffer: boolean }
  | { data: { data: string | ArrayBuffer; isBuffer: boolean } };

/** Alipay's callback result. */
type AlipayResult = { error?: number; errorMessage?: string };
type AlipayCallbacks = { success?: Callback<AlipayResult>; fail?: Callback<AlipayResult>; complete?: Callback<AlipayResult> };

/** Alipay's error code for a call the platform refused with `errMsg` (1 unknown, 2 invalid argument, 20 not wss). */
function alipayError(errMsg: string): AlipayResult {
  const code = /url not in domain list|invalid url/i.test(errMsg) ? 2 : 1;
  return { error: code, errorMessage: errMsg.replace(/^\w+:(fail|ok) ?/, '') };
}

function callbacks(option: AlipayCallbacks): { success?: Callback<ErrMsg>; fail?: Callback<ErrMsg>; complete?: Callback<ErrMsg> } {
  return {
    success: option.success && (() => option.success?.({})),
    fail: option.fail && ((result) => option.fail?.(alipayError(result.errMsg))),
    complete: option.complete && ((result) => option.complete?.(/fail/.test(result.errMsg) ? alipayError(result.errMsg) : {})),
  };
}

/** Creates the `my` object over `emulator`; the emulator's hooks (hide, cutNetwork, ...) drive it. */
export function createMyEmulator(emulator: WxEmulator, options: Readonly<Partial<MyEmulatorOptions>> = {}) {
  const base64 = options.binary === 'base64';
  const nested = options.nested ?? false;
  const wrap = (task: EmulatedSocketTask) => ({
    send(option: { data: string | ArrayBuffer; isBuffer?: boolean } & AlipayCallbacks): void {
      let data = option.data;
      if (base64) {
        if (typeof data !== 'string') {
          emulator.later(() => option.fail?.({ error: 2, errorMessage: '接口参数无效 (data must be a string)' }));
          return;
        }
        if (option.isBuffer) data = fromBase64(data) ?? data;
      }
      task.send({ data, ...callbacks(option) });
    },
    close: (option: { code?: number; reason?: string } & AlipayCallbacks) => task.close({ code: option.code, reason: option.reason, ...callbacks(option) }),
    onOpen: (listener: Callback<{ header: Record<string, unknown>; profile: Record<string, unknown> }>) => task.onOpen(listener),
    onMessage: (listener: Callback<MyMessage>) =>
      task.onMessage(({ data }) => {
        const message = base64 && typeof data !== 'string' ? { data: toBase64(data), isBuffer: true } : { data, isBuffer: false };
        listener(nested ? { data: message } : message);
      }),
    onError: (listener: Callback<AlipayResult>) => task.onError((result) => listener(alipayError(result.errMsg))),
    onClose: (listener: Callback<{ code: number; reason: string }>) => task.onClose(listener),
  });
  return {
    connectSocket(option: Omit<EmulatorConnectOption, keyof AlipayCallbacks> & AlipayCallbacks & { multiple?: boolean }) {
      if (option.multiple !== true) return undefined;
      const { success, fail, complete, multiple: _multiple, ...rest } = option;
      return wrap(emulator.connectSocket({ ...rest, ...callbacks({ success, fail, complete }) }));
    },
    onAppHide: emulator.onAppHide,
    offAppHide: emulator.offAppHide,
    onAppShow: emulator.onAppShow,
    offAppShow: emulator.offAppShow,
    onNetworkStatusChange: emulator.onNetworkStatusChange,
    offNetworkStatusChange: emulator.offNetworkStatusChange,
    getNetworkType: emulator.getNetworkType.bind(emulator),
  };
}
