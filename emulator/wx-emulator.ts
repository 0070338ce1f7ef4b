import { type Clock, systemClock, type TimerHandle } from '../src/time/clock';
import {
  type Callback,
  EmulatedTask,
  type EmulatedSocketTask,
  type EmulatorConnectOption,
  SUSPENDED,
  type TaskHost,
} from './wx-socket-task';

export type { EmulatedSocketTask, EmulatorConnectOption } from './wx-socket-task';

/**
 * A thin `wx` over REAL `ws` client sockets, reproducing the platform behaviour described in the shared PLATFORM.md. It never
 * answers by itself: every open, message and close comes from a real server on 127.0.0.1. Choices where the platform
 * is only reported, not documented:
 * - `wss://` URLs connect over plain TCP unless `trustedCertificates` is given (then over TLS, verified against it as a
 *   device verifies against its trust store); `ws://` is refused unless `devMode`.
 * - Every refused call (limit, domain list, suspended, network down) fires the call's `fail`, then the task's
 *   `onError` and `onClose` (code 1006).
 * - `dropConnection` destroys the TCP connection: the task sees `onClose` with code 1006 and no `onError` (what
 *   Android's stack reports for a vanished peer); `cutNetwork` does the same to every socket.
 * - After going to the background, the cut closes sockets with code 1000, reason `interrupted`, delivered at once
 *   (a real phone would deliver it on return, since its JS thread is frozen).
 * - Every callback arrives on a later turn (`setImmediate`); the test hooks call lifecycle listeners synchronously.
 * - `close()` with no argument throws, as the typings forbid it.
 */

/** Options of {@link createWxEmulator}. */
export interface WxEmulatorOptions {
  /** Live SocketTasks allowed at once. Default 5. */
  maxSockets: number;
  /** Accept `ws://` URLs, as devtools with domain checks off does. Default false. */
  devMode: boolean;
  /** Drives the connect timeout and the background cut. Default the system clock. */
  clock: Clock;
  /** How long after `hide()` the network is cut, ms. Default 5000. */
  suspendAfterMs: number;
  /** What `getNetworkType` reports while connected. Default `'wifi'`. */
  networkType: string;
  /**
   * The device's trust store: PEM certificates of the CAs it trusts. Given, `wss://` runs real TLS and a server whose
   * certificate no CA of it signed is refused (onError naming the certificate problem, then onClose 1006), as on a
   * phone, where only CAs of its store are trusted and verification cannot be turned off. Default: none, and `wss://`
   * connects over plain TCP (tests that are not about TLS).
   */
  trustedCertificates: readonly string[] | undefined;
  /**
   * The console's socket domain list: hosts a `wss://` URL may name (any port, as WeChat allows for wss domains).
   * Others are refused with `url not in domain list`. Default: every host, as devtools with domain checks off.
   */
  domains: readonly string[] | undefined;
}

/** Creates a {@link WxEmulator}. */
export function createWxEmulator(options: Readonly<Partial<WxEmulatorOptions>> = {}): WxEmulator {
  return new WxEmulator(options);
}

/** The `wx` object the tests and the demo hand to the runtime, plus hooks to misbehave and to look inside. */
export class WxEmulator {
  /** Every `connectSocket` option object, as passed. */
  readonly connectCalls: EmulatorConnectOption[] = [];
  /** Every task created, refused ones included. */
  readonly tasks: EmulatedSocketTask[] = [];
  /** What listeners and callbacks threw into the "platform": a correct runtime leaves this empty. */
  readonly uncaughtErrors: unknown[] = [];
  private readonly emulated = new Map<EmulatedSocketTask, EmulatedTask>();
  private readonly lifecycle = new Map<string, Set<Callback<never>>>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private readonly maxSockets: number;
  private readonly devMode: boolean;
  private readonly clock: Clock;
  private readonly suspendAfterMs: number;
  private readonly networkType: string;
  private readonly domains: ReadonlySet<string> | undefined;
  private readonly host: TaskHost;
  /** A refusal the platform gives every connect for now (see {@link WxEmulator.refuseConnects}). */
  private forcedRefusal: string | undefined;
  private nextId = 1;
  private hiddenNow = false;
  private suspendedNow = false;
  private networkUp = true;
  private cutTimer: TimerHandle | undefined;

  constructor(options: Readonly<Partial<WxEmulatorOptions>> = {}) {
    this.maxSockets = options.maxSockets ?? 5;
    this.devMode = options.devMode ?? false;
    this.clock = options.clock ?? systemClock;
    this.suspendAfterMs = options.suspendAfterMs ?? 5000;
    this.networkType = options.networkType ?? 'wifi';
    this.domains = options.domains ? new Set(options.domains.map((domain) => domain.toLowerCase())) : undefined;
    this.host = {
      clock: this.clock,
      trustedCertificates: options.trustedCertificates,
      isSuspended: () => this.suspendedNow,
      later: (fn) => this.later(fn),
      call: (callback, result) => this.call(callback, result),
    };
  }

  connectSocket(option: EmulatorConnectOption): EmulatedSocketTask {
    this.connectCalls.push(option);
    const refusal = this.refusalFor(option.url, this.nextId++);
    const task = new EmulatedTask(this.host);
    this.emulated.set(task.task, task);
    this.tasks.push(task.task);
    if (refusal !== undefined) task.refuse(option, refusal);
    else task.connect(option);
    return task.task;
  }

  onAppHide = (cb: Callback<never>): void => this.listen('hide', cb);
  offAppHide = (cb?: Callback<never>): void => this.unlisten('hide', cb);
  onHide = this.onAppHide;
  offHide = this.offAppHide;
  onAppShow = (cb: Callback<never>): void => this.listen('show', cb);
  offAppShow = (cb?: Callback<never>): void => this.unlisten('show', cb);
  onShow = this.onAppShow;
  offShow = this.offAppShow;
  onNetworkStatusChange = (cb: Callback<never>): void => this.listen('network', cb);
  offNetworkStatusChange = (cb?: Callback<never>): void => this.unlisten('network', cb);

  getNetworkType(option: { success?: Callback<{ networkType: string }>; complete?: Callback<unknown> } = {}): void {
    const networkType = this.networkUp ? this.networkType : 'none';
    this.later(() => {
      this.call(option.success, { networkType });
      this.call(option.complete, { networkType });
    });
  }

  /** Goes to the background: fires onAppHide/onHide, and cuts every socket `suspendAfterMs` later on the clock. */
  hide(): void {
    if (this.hiddenNow) return;
    this.hiddenNow = true;
    this.fire('hide', {});
    this.cutTimer = this.clock.setTimeout(() => {
      this.cutTimer = undefined;
      this.suspendedNow = true;
      for (const task of this.live()) task.cut(1000, 'interrupted');
    }, this.suspendAfterMs);
  }

  /** Returns to the foreground: cancels a pending cut, resumes network calls, fires onAppShow/onShow. */
  show(): void {
    if (!this.hiddenNow) return;
    this.hiddenNow = false;
    this.suspendedNow = false;
    if (this.cutTimer !== undefined) this.clock.clearTimeout(this.cutTimer);
    this.cutTimer = undefined;
    this.fire('show', { scene: 1001, query: {}, path: '' });
  }

  /** Loses the network: fires onNetworkStatusChange, drops every socket (onClose 1006), refuses new connects. */
  cutNetwork(): void {
    this.networkUp = false;
    this.fire('network', { isConnected: false, networkType: 'none' });
    for (const task of this.live()) task.cut(1006, '');
  }

  /** Gets the network back and fires onNetworkStatusChange. */
  restoreNetwork(): void {
    this.networkUp = true;
    this.fire('network', { isConnected: true, networkType: this.networkType });
  }

  /** Destroys the TCP connection of `task` (default: every live task) without a close frame: onClose 1006. */
  dropConnection(task?: EmulatedSocketTask): void {
    for (const emulated of this.select(task)) emulated.drop();
  }

  /** Makes `task` (default: every live task) half-open: nothing is read or written any more, nothing closes. */
  blackhole(task?: EmulatedSocketTask): void {
    for (const emulated of this.select(task)) emulated.blackhole();
  }

  /** Tasks counted against `maxSockets`. */
  get liveTasks(): number {
    return this.live().length;
  }

  /** Messages handed to the network by every task (blackholed sends included, as the app cannot tell). */
  get sentCount(): number {
    let count = 0;
    for (const emulated of this.emulated.values()) count += emulated.sent.length;
    return count;
  }

  /** What `task` sent, in order; binary as a copy of the ArrayBuffer it was given. */
  sentBy(task: EmulatedSocketTask): ReadonlyArray<string | ArrayBuffer> {
    return this.emulated.get(task)?.sent ?? [];
  }

  get hidden(): boolean {
    return this.hiddenNow;
  }

  get suspended(): boolean {
    return this.suspendedNow;
  }

  /** Tears everything down without firing events; resolves when every client socket has closed. */
  async dispose(): Promise<void> {
    for (const handle of this.immediates) clearImmediate(handle);
    this.immediates.clear();
    if (this.cutTimer !== undefined) this.clock.clearTimeout(this.cutTimer);
    this.cutTimer = undefined;
    await Promise.all([...this.emulated.values()].map((emulated) => emulated.dispose()));
  }

  /**
   * Refuses every connect with `errMsg` until called with undefined: the platform failures the emulator does not
   * reproduce from real conditions (another platform's wording, a certificate a device rejects, an OS network error).
   */
  refuseConnects(errMsg: string | undefined): void {
    this.forcedRefusal = errMsg;
  }

  private refusalFor(url: string, id: number): string | undefined {
    if (this.forcedRefusal !== undefined) return this.forcedRefusal;
    if (this.suspendedNow) return `createSocketTask:fail ${SUSPENDED}`;
    if (!this.networkUp) return 'createSocketTask:fail network is down';
    if (/^ws:\/\//i.test(url) && !this.devMode) return 'createSocketTask:fail url not in domain list';
    if (!/^wss?:\/\//i.test(url)) return `createSocketTask:fail invalid url "${url}"`;
    if (this.domains && !this.domains.has(hostOf(url))) return 'createSocketTask:fail url not in domain list';
    if (this.liveTasks >= this.maxSockets) return `createSocketTask:fail wcwss taskID=${id} exceed max concurrent count`;
    return undefined;
  }

  private live(): EmulatedTask[] {
    return [...this.emulated.values()].filter((emulated) => emulated.state !== 'closed');
  }

  private select(task: EmulatedSocketTask | undefined): EmulatedTask[] {
    if (!task) return this.live();
    const emulated = this.emulated.get(task);
    return emulated && emulated.state !== 'closed' ? [emulated] : [];
  }

  private call<T>(callback: Callback<T> | undefined, result: T): void {
    try {
      callback?.(result);
    } catch (err) {
      this.uncaughtErrors.push(err);
    }
  }

  /** Runs `fn` on a later turn, as the native bridge delivers every callback (released by `dispose`). */
  later(fn: () => void): void {
    const handle = setImmediate(() => {
      this.immediates.delete(handle);
      fn();
    });
    this.immediates.add(handle);
  }

  private listen(kind: string, cb: Callback<never>): void {
    let set = this.lifecycle.get(kind);
    if (!set) this.lifecycle.set(kind, (set = new Set()));
    set.add(cb);
  }

  private unlisten(kind: string, cb?: Callback<never>): void {
    if (cb) this.lifecycle.get(kind)?.delete(cb);
    else this.lifecycle.delete(kind);
  }

  private fire(kind: string, result: unknown): void {
    for (const cb of [...(this.lifecycle.get(kind) ?? [])]) this.call(cb as Callback<unknown>, result);
  }
}

/** The host name of a ws(s) URL, lower-case, without port or brackets. */
function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
}
