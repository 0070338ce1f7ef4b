import { type Clock } from '../time/clock';
import { Timer } from '../time/timer';

/** Heartbeat settings of a channel. */
export interface HeartbeatOptions {
  /** How often to PING while open, ms. Default 15,000. */
  intervalMs: number;
  /** How long after a PING with nothing received the connection is declared dead, ms. Default 10,000. */
  timeoutMs: number;
}

/** Defaults of {@link HeartbeatOptions}. */
export const DEFAULT_HEARTBEAT: Readonly<HeartbeatOptions> = Object.freeze({ intervalMs: 15_000, timeoutMs: 10_000 });

/**
 * A timer that fires later than this after its due time means the runtime was frozen (app in the background, a
 * throttled tab): a deadline that passed while frozen is no verdict, the heartbeat probes again instead.
 */
export const FROZEN_SLACK_MS = 1_000;

export interface HeartbeatHooks {
  /** Send a PING carrying `clientTime`. */
  ping(clientTime: number): void;
  /** Nothing arrived within `timeoutMs` of a PING: the connection is dead (a half-open socket, typically). */
  dead(silentForMs: number): void;
}

/**
 * Keeps one connection's liveness: PINGs every `intervalMs`, and declares the connection dead when nothing at all
 * arrives within `timeoutMs` of a PING. Every deadline is an absolute time checked against `clock.now()`.
 */
export class Heartbeat {
  private readonly timer: Timer;
  private running = false;
  private lastInboundAt = 0;
  private lastPingAt = 0;
  /** When the outstanding PING was sent, or undefined when none is outstanding. */
  private pingSentAt: number | undefined;
  /** A frozen-looking deadline earns one fresh probe; if that one expires too, the verdict stands. */
  private reprobed = false;
  private dueAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: Readonly<HeartbeatOptions>,
    private readonly hooks: HeartbeatHooks,
  ) {
    this.timer = new Timer(clock, () => this.onTimer());
  }

  /** Starts (or restarts) on a freshly opened connection. */
  start(): void {
    const now = this.clock.now();
    this.running = true;
    this.lastInboundAt = now;
    this.lastPingAt = now;
    this.pingSentAt = undefined;
    this.reprobed = false;
    this.arm(now + this.options.intervalMs);
  }

  stop(): void {
    this.running = false;
    this.pingSentAt = undefined;
    this.timer.cancel();
  }

  get active(): boolean {
    return this.running;
  }

  /** Any inbound frame is a sign of life. */
  received(): void {
    this.lastInboundAt = this.clock.now();
    if (this.pingSentAt !== undefined && this.lastInboundAt >= this.pingSentAt) {
      this.pingSentAt = undefined;
      this.reprobed = false;
    }
  }

  /** Sends a PING now (after the app returns to the foreground, say) and judges by it. */
  probe(): void {
    if (!this.running) return;
    this.sendPing(this.clock.now());
  }

  /**
   * Checks the deadline without waiting for a timer, e.g. on every send, because phones throttle timers.
   * Returns false when the connection was just declared dead.
   */
  check(): boolean {
    if (!this.running || this.pingSentAt === undefined) return true;
    if (this.clock.now() - this.pingSentAt < this.options.timeoutMs) return true;
    return this.judge(this.clock.now());
  }

  private sendPing(now: number): void {
    this.lastPingAt = now;
    this.pingSentAt = now;
    this.arm(Math.min(now + this.options.timeoutMs, now + this.options.intervalMs));
    this.hooks.ping(now);
  }

  private arm(at: number): void {
    this.dueAt = at;
    this.timer.schedule(at - this.clock.now());
  }

  private onTimer(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const frozen = now - this.dueAt > FROZEN_SLACK_MS;
    if (this.pingSentAt !== undefined && this.lastInboundAt < this.pingSentAt) {
      if (now - this.pingSentAt >= this.options.timeoutMs) {
        this.judge(now);
        return;
      }
      this.arm(this.pingSentAt + this.options.timeoutMs);
      return;
    }
    if (frozen || now - this.lastPingAt >= this.options.intervalMs) this.sendPing(now);
    else this.arm(this.lastPingAt + this.options.intervalMs);
  }

  /**
   * The outstanding PING's deadline has passed. If our timer ran late by more than the slack, we (not the peer) may
   * have been frozen: ask once more with a full timeout. A second expiry is final, so throttled timers that are always
   * late cannot hide a dead connection forever. Returns false when the connection was declared dead.
   */
  private judge(now: number): boolean {
    if (now - this.dueAt > FROZEN_SLACK_MS && !this.reprobed) {
      this.reprobed = true;
      this.sendPing(now);
      return true;
    }
    this.declareDead(now);
    return false;
  }

  private declareDead(now: number): void {
    const silentFor = now - this.lastInboundAt;
    this.stop();
    this.hooks.dead(silentFor);
  }
}
