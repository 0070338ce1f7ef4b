import { Channel, type ChannelStats } from './channel/channel';
import type { ChannelOptions } from './channel/options';
import { type Clock, systemClock } from './time/clock';
import { Timer } from './time/timer';
import { UsageErrorCode } from './codes';
import { checkOptionNames, withDefaults } from './defaults';
import { UsageError } from './errors';
import type { Lifecycle } from './transport/lifecycle';
import type { Subscriber } from './routing/router';
import { ChannelState, StateReason } from './channel/state';
import type { Transport } from './transport/types';

/** Options of a {@link ConnectionManager}. */
export interface ManagerOptions {
  /** How channels open sockets: `wxTransport(wx)`, `webSocketTransport(WebSocket)`. Required. */
  transport: Transport;
  /** Foreground/background and network signals: `wxLifecycle(wx)`. Default: none (always foreground, online). */
  lifecycle: Lifecycle | undefined;
  clock: Clock;
  /** Random source in [0, 1) for backoff jitter and the show stagger. Default Math.random. */
  random: () => number;
  /** Most channels (sockets) at once: WeChat allows 5 SocketTasks. Default 5. */
  maxSockets: number;
  /** After the app is hidden, wait this long before closing sockets (the platform cuts them at about 5 s). Default 3,000. */
  hideGraceMs: number;
  /** On show, suspended channels reconnect within a random delay up to this, so they do not all start at once. Default 250. */
  showStaggerMs: number;
}

const DEFAULT_MANAGER_OPTIONS = Object.freeze({ maxSockets: 5, hideGraceMs: 3_000, showStaggerMs: 250 });
/** Every key of {@link ManagerOptions} (the type makes the list complete): any other is a typo, refused. */
const MANAGER_OPTION_NAMES = Object.keys({
  transport: 1, lifecycle: 1, clock: 1, random: 1, maxSockets: 1, hideGraceMs: 1, showStaggerMs: 1,
} satisfies Record<keyof ManagerOptions, 1>);

/** Per-channel options given to `open`; the manager supplies transport, clock and random unless overridden. */
export type OpenOptions = Readonly<Partial<ChannelOptions>> & { url: string };

/**
 * Runs several channels side by side, each with its own socket and policies, within the platform's socket limit,
 * and suspends and resumes them as the app goes to the background and the network comes and goes.
 */
export class ConnectionManager {
  private readonly channels = new Map<string, Channel>();
  /** Channels closing: their names are free, but their sockets still count against `maxSockets` until closed. */
  private readonly closing = new Set<Channel>();
  private readonly options: Readonly<ManagerOptions>;
  private readonly undo: (() => void)[] = [];
  private readonly hideTimer: Timer;
  private hidden = false;
  private suspendedByHide = false;
  private online = true;
  private closed = false;

  /** @throws {UsageError} `invalid_option` without a transport or with a bad number. */
  constructor(options: Readonly<Partial<ManagerOptions>> & { transport: Transport }) {
    if (!options || !options.transport || typeof options.transport.connect !== 'function') {
      throw new UsageError(UsageErrorCode.InvalidOption, 'ConnectionManager needs a transport, e.g. wxTransport(wx)');
    }
    checkOptionNames('ConnectionManager', options, MANAGER_OPTION_NAMES);
    this.options = withDefaults<ManagerOptions>(
      Object.assign({ transport: options.transport, lifecycle: undefined, clock: systemClock, random: Math.random }, DEFAULT_MANAGER_OPTIONS),
      options,
    );
    for (const name of ['maxSockets', 'hideGraceMs', 'showStaggerMs'] as const) {
      const value = this.options[name];
      if (typeof value !== 'number' || !(value >= 0) || (name === 'maxSockets' && !(value >= 1))) {
        throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} must be a ${name === 'maxSockets' ? 'number >= 1' : 'number >= 0'}, got ${JSON.stringify(value)}`);
      }
    }
    this.hideTimer = new Timer(this.options.clock, () => this.suspendAll(StateReason.Hidden));
    const lifecycle = this.options.lifecycle;
    if (lifecycle) {
      this.undo.push(lifecycle.onHide(() => this.appHidden()));
      this.undo.push(lifecycle.onShow(() => this.appShown()));
      this.undo.push(lifecycle.onNetworkChange((online) => this.networkChanged(online)));
    }
  }

  /**
   * Opens a channel (it starts connecting at once) and returns it.
   * @throws {UsageError} `duplicate_channel` if the name is taken, `too_many_channels` past `maxSockets` (naming the
   * open channels), `invalid_option` for bad options, `closed` after `close()`.
   */
  open(name: string, options: OpenOptions): Channel {
    if (this.closed) throw new UsageError(UsageErrorCode.Closed, 'this ConnectionManager is closed');
    if (typeof name !== 'string' || name.length === 0) {
      throw new UsageError(UsageErrorCode.InvalidArgument, `a channel name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    if (this.channels.has(name)) {
      throw new UsageError(UsageErrorCode.DuplicateChannel, `a channel named "${name}" is already open`);
    }
    if (this.channels.size + this.closing.size >= this.options.maxSockets) {
      const users = [...this.channels.keys()].map((n) => `"${n}"`);
      if (this.closing.size > 0) users.push(`${this.closing.size} closing`);
      throw new UsageError(
        UsageErrorCode.TooManyChannels,
        `cannot open "${name}": ${this.channels.size + this.closing.size} of maxSockets ${this.options.maxSockets} are in use by ${users.join(', ')}; close one first`,
      );
    }
    const { transport, clock, random } = this.options;
    const channel = new Channel(name, Object.assign({ transport, clock, random }, options));
    this.channels.set(name, channel);
    // A channel that starts closing (however: the app, a terminal code, giving up) frees its name at once, so the
    // name can be opened again; its socket slot is freed when the old socket is gone. The old channel only ever
    // touches its own entries, never a new channel of the same name.
    channel.on('state', ({ next }) => {
      if (next === ChannelState.Closing || next === ChannelState.Closed) this.release(name, channel);
    });
    if (this.suspendedByHide || !this.online) {
      channel.suspend(this.online ? StateReason.Hidden : StateReason.Offline);
    } else {
      channel.connect();
      if (this.hidden) channel.pauseHeartbeat();
    }
    return channel;
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /** Names of the channels open or opening (a closing channel's name is free). */
  get names(): string[] {
    return [...this.channels.keys()];
  }

  /** Subscribes on one channel by name: `manager.subscribe('chat', 'room/+/message', fn)`. */
  subscribe<P = unknown>(channelName: string, pattern: string, fn: Subscriber<P>): () => void {
    const channel = this.channels.get(channelName);
    if (!channel) {
      throw new UsageError(UsageErrorCode.InvalidArgument, `no channel named "${channelName}" (open: ${this.names.join(', ') || 'none'})`);
    }
    return channel.subscribe(pattern, fn);
  }

  /** Closes one channel by name, or, with no name, every channel and the manager itself (releasing its listeners). */
  close(name?: string): void {
    if (name !== undefined) {
      const channel = this.channels.get(name);
      if (channel) {
        this.release(name, channel);
        channel.close();
      }
      return;
    }
    this.closed = true;
    this.hideTimer.cancel();
    for (const undo of this.undo.splice(0)) undo();
    for (const [channelName, channel] of [...this.channels]) {
      this.release(channelName, channel);
      channel.close();
    }
  }

  /** `channel` no longer holds `name`; until it is closed it still holds a socket slot. */
  private release(name: string, channel: Channel): void {
    if (this.channels.get(name) === channel) this.channels.delete(name);
    if (channel.state === ChannelState.Closed) this.closing.delete(channel);
    else this.closing.add(channel);
  }

  stats(): ChannelStats[] {
    return [...this.channels.values()].map((c) => c.stats());
  }

  private appHidden(): void {
    if (this.hidden) return;
    this.hidden = true;
    for (const channel of this.channels.values()) channel.pauseHeartbeat();
    this.hideTimer.schedule(this.options.hideGraceMs);
  }

  private appShown(): void {
    if (!this.hidden) return;
    this.hidden = false;
    this.hideTimer.cancel();
    if (this.suspendedByHide) {
      this.suspendedByHide = false;
      if (this.online) this.resumeAll(StateReason.Shown, this.options.showStaggerMs);
      return;
    }
    // Back within the grace period: the sockets may have died meanwhile, so ask each at once.
    for (const channel of this.channels.values()) channel.resumeHeartbeat();
  }

  private networkChanged(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    if (!online) {
      this.suspendAll(StateReason.Offline);
      return;
    }
    if (!this.suspendedByHide) this.resumeAll(StateReason.Online, 0);
  }

  private suspendAll(reason: string): void {
    if (reason === StateReason.Hidden) this.suspendedByHide = true;
    for (const channel of this.channels.values()) channel.suspend(reason);
  }

  private resumeAll(reason: string, staggerMs: number): void {
    for (const channel of this.channels.values()) {
      channel.resume(reason, staggerMs > 0 ? Math.floor(this.options.random() * staggerMs) : 0);
    }
  }
}
