/**
 * The app's foreground/background and network signals, as the manager needs them. `wxLifecycle` adapts WeChat's
 * (and its copies'); a browser or a test can implement it directly. Every `on*` returns its undo.
 */
export interface Lifecycle {
  onHide(listener: () => void): () => void;
  onShow(listener: () => void): () => void;
  onNetworkChange(listener: (online: boolean) => void): () => void;
}

type Listener<T> = (result: T) => void;
/** An `off*` takes back the very function given to `on*`; typed loosely because each platform types its callbacks differently. */
type Off = (listener?: object) => void;

/**
 * The wx-shaped lifecycle API: a mini-program has `onAppHide`/`onAppShow` (2.1.2+), a mini-game `onHide`/`onShow`;
 * both have `onNetworkStatusChange`. The `off*` methods are used where they exist.
 */
export interface WxLifecycleApi {
  onAppHide?(listener: Listener<unknown>): void;
  offAppHide?(listener?: object): void;
  onAppShow?(listener: Listener<unknown>): void;
  offAppShow?(listener?: object): void;
  onHide?(listener: Listener<unknown>): void;
  offHide?(listener?: object): void;
  onShow?(listener: Listener<unknown>): void;
  offShow?(listener?: object): void;
  onNetworkStatusChange?(listener: Listener<{ isConnected: boolean; networkType?: string }>): void;
  offNetworkStatusChange?(listener?: object): void;
}

/**
 * Adapts `wx` (or `tt`, `qq`, ...) to {@link Lifecycle}. Where the platform has no `off*`, the undo disarms the
 * listener instead, so a closed manager is never called again.
 */
export function wxLifecycle(api: WxLifecycleApi): Lifecycle {
  const hook = <T>(
    on: ((l: Listener<T>) => void) | undefined,
    off: Off | undefined,
    listener: Listener<T>,
  ): (() => void) => {
    if (!on) return () => undefined;
    let live = true;
    const wrapped: Listener<T> = (result) => {
      if (live) listener(result);
    };
    on.call(api, wrapped);
    return () => {
      live = false;
      off?.call(api, wrapped);
    };
  };
  const both = (
    appOn: WxLifecycleApi['onAppHide'],
    appOff: WxLifecycleApi['offAppHide'],
    gameOn: WxLifecycleApi['onHide'],
    gameOff: WxLifecycleApi['offHide'],
    listener: () => void,
  ): (() => void) => {
    // A mini-program has the onApp* pair, a mini-game the plain pair; never listen to both, or each event fires twice.
    return appOn ? hook(appOn, appOff, () => listener()) : hook(gameOn, gameOff, () => listener());
  };
  return {
    onHide: (listener) => both(api.onAppHide, api.offAppHide, api.onHide, api.offHide, listener),
    onShow: (listener) => both(api.onAppShow, api.offAppShow, api.onShow, api.offShow, listener),
    onNetworkChange: (listener) =>
      hook(api.onNetworkStatusChange, api.offNetworkStatusChange, (result) => listener(Boolean(result?.isConnected))),
  };
}
