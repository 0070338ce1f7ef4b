/**
 * Compile-time proof that the platform's own types fit the runtime's structural ones with no cast. This file is
 * checked by `tsc -p tsconfig.typings.json` inside `npm run typecheck` (so inside `npm test`): the two WeChat typings
 * packages declare conflicting globals (`wx`, `require`, `console`) and cannot share a compilation with Node's types.
 * A change to SocketLike, WxSocketApi or WxLifecycleApi that a real SocketTask or `wx` no longer satisfies fails it.
 */
import type { WxLifecycleApi } from '../../src/transport/lifecycle';
import type { SocketLike } from '../../src/transport/types';
import type { WxSocketApi, WxSocketTask } from '../../src/transport/wx';

/** `true` when T is assignable to U. */
type Assignable<T, U> = [T] extends [U] ? true : false;

// Plain assignments: the same check a caller passing `wx` or a SocketTask meets.
export const programTask = (task: WechatMiniprogram.SocketTask): SocketLike => task;
export const gameTask = (task: WechatMinigame.SocketTask): SocketLike => task;
export const programWx = (api: WechatMiniprogram.Wx): WxSocketApi => api;
export const gameWx = (api: WechatMinigame.Wx): WxSocketApi => api;
export const platformTask = (task: WechatMinigame.SocketTask): WxSocketTask => task;
export const programLifecycle = (api: WechatMiniprogram.Wx): WxLifecycleApi => api;
export const gameLifecycle = (api: WechatMinigame.Wx): WxLifecycleApi => api;

export const fits: [
  Assignable<WechatMiniprogram.SocketTask, SocketLike>,
  Assignable<WechatMinigame.SocketTask, SocketLike>,
  Assignable<WechatMiniprogram.Wx, WxSocketApi>,
  Assignable<WechatMinigame.Wx, WxSocketApi>,
  Assignable<WechatMiniprogram.Wx, WxLifecycleApi>,
  Assignable<WechatMinigame.Wx, WxLifecycleApi>,
] = [true, true, true, true, true, true];

// The check can fail: shapes missing a socket method are rejected.
export const rejected: [
  Assignable<Omit<WechatMiniprogram.SocketTask, 'onClose'>, SocketLike>,
  Assignable<{ connectSocket(option: { url: string }): { send(): void } }, WxSocketApi>,
] = [false, false];

// @ts-expect-error a send whose data is not string | ArrayBuffer is not a SocketLike send
export const wrongData: SocketLike['send'] = (option: { data: number }) => option;
