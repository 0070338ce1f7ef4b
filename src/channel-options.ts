import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff';
import { type Clock, systemClock } from './clock';
import { UsageErrorCode } from './codes';
import { withDefaults } from './defaults';
import { UsageError } from './errors';
import { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './heartbeat';
import type { CodecLimits } from './limits';
import { DEFAULT_RELIABLE, type ReliableOptions } from './reliable';
import { DEFAULT_OUTBOX, type OutboxOptions } from './outbox';
import type { Transport } from './transport/types';

/** What `shouldReconnect` is told about a lost connection. */
export interface ReconnectInfo {
  /** The reconnect attempt about to be made (0 for the first after a drop). */
  attempt: number;
  /** Why the connection was lost (a {@link StateReason}). */
  reason: string;
  /** The close or BYE code, when there was one. */
  code?: number;
  error?: Error;
}

/** Reconnect settings: the backoff curve plus when to give up. */
export interface ReconnectOptions extends BackoffOptions {
  /** Attempts before giving up (state `closed`, reason `gave_up`). Default Infinity. */
  maxAttempts: number;
  /** Attempts reset to 0 only after a connection stays open this long, ms. Default 5,000. */
  minStableMs: number;
}

/** Request settings. */
export interface RequestOptions {
  /** Default deadline of `request`, ms. Default 10,000. */
  timeoutMs: number;
  /** A request made while not open waits in the outbox (`queue`) or fails at once (`reject`). Default `queue`. */
  whileDisconnected: 'queue' | 'reject';
}

/** Options of one channel; every field but `url` has a default. */
export interface ChannelOptions {
  /** `wss://` URL of the server. */
  url: string;
  /** Extra handshake headers (never `Referer`). */
  header: Readonly<Record<string, string>>;
  protocols: readonly string[];
  /** Called before every connection attempt, so an expired token is renewed. Sync or async. Default: no token. */
  getToken: (() => string | undefined | null | Promise<string | undefined | null>) | undefined;
  /** From starting an attempt to WELCOME, ms. Default 10,000; at most the platform's 60,000. */
  connectTimeoutMs: number;
  heartbeat: Readonly<Partial<HeartbeatOptions>>;
  reconnect: Readonly<Partial<ReconnectOptions>>;
  /** Return false to stop reconnecting (state `closed`, reason `gave_up`). Default: always reconnect. */
  shouldReconnect: ((info: ReconnectInfo) => boolean) | undefined;
  outbox: Readonly<Partial<OutboxOptions>>;
  requests: Readonly<Partial<RequestOptions>>;
  /** Largest batch of frames in one WebSocket message, bytes. Default 64 KiB (at most `limits.maxFrameBytes`). */
  maxBatchBytes: number;
  /** Frames sent within this many ms leave in one message; 0 = at the end of the current turn. Default 0. */
  flushMs: number;
  /**
   * Longest one turn spends handling received frames, ms (judged on `clock.now()` after each frame); the rest wait for
   * the next turns (`clock.setTimeout(0)`), so that a burst on this channel does not hold up the other channels'
   * messages, which arrive on the same JavaScript thread. Default Infinity (every frame at once); the chat preset uses 1.
   */
  receiveTurnMs: number;
  /** Decode limits (and the largest message this channel sends). */
  limits: Readonly<Partial<CodecLimits>>;
  /** Reliable delivery: unacknowledged buffer bounds and how often to ACK (PROTOCOL.md section 5). */
  reliable: Readonly<Partial<ReliableOptions>>;
  transport: Transport;
  clock: Clock;
  /** Random source in [0, 1) for the backoff jitter. Default Math.random. */
  random: () => number;
}

/** Options as resolved once in the constructor. */
export interface ResolvedChannelOptions
  extends Omit<ChannelOptions, 'heartbeat' | 'reconnect' | 'outbox' | 'requests' | 'reliable'> {
  reliable: Readonly<ReliableOptions>;
  heartbeat: Readonly<HeartbeatOptions>;
  reconnect: Readonly<ReconnectOptions>;
  outbox: Readonly<OutboxOptions>;
  requests: Readonly<RequestOptions>;
}

/** The platform's hard cap on a connect timeout. */
export const MAX_CONNECT_TIMEOUT_MS = 60_000;

export const DEFAULT_CHANNEL_OPTIONS = Object.freeze({
  connectTimeoutMs: 10_000,
  maxBatchBytes: 64 * 1024,
  flushMs: 0,
  receiveTurnMs: Infinity,
  reconnect: Object.freeze(Object.assign({ maxAttempts: Infinity, minStableMs: 5_000 }, DEFAULT_BACKOFF)),
  requests: Object.freeze({ timeoutMs: 10_000, whileDisconnected: 'queue' as const }),
});

function invalid(name: string, value: unknown, want: string): UsageError {
  return new UsageError(UsageErrorCode.InvalidOption, `option ${name} must be ${want}, got ${JSON.stringify(value)}`);
}

function positive(name: string, value: number, allowZero = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw invalid(name, value, allowZero ? 'a number >= 0' : 'a number > 0');
  }
  return value;
}

/** 64 KiB, or less when the frame limit is smaller (a bad limit is left for the codec to name). */
function defaultBatchBytes(maxFrameBytes: number | undefined): number {
  const fallback = DEFAULT_CHANNEL_OPTIONS.maxBatchBytes;
  return typeof maxFrameBytes === 'number' && Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0 ? Math.min(fallback, maxFrameBytes) : fallback;
}

/**
 * Resolves a channel's options against the defaults, once, checking each.
 * @throws {UsageError} `invalid_option` naming the first bad option.
 */
export function resolveChannelOptions(
  partial: Readonly<Partial<ChannelOptions>>,
  inherited: { transport?: Transport; clock?: Clock; random?: () => number } = {},
): ResolvedChannelOptions {
  const url = partial.url;
  if (typeof url !== 'string' || !/^wss?:\/\/./i.test(url)) throw invalid('url', url, 'a ws:// or wss:// URL');
  const transport = partial.transport ?? inherited.transport;
  if (!transport || typeof transport.connect !== 'function') throw invalid('transport', typeof transport, 'a Transport');
  const heartbeat = withDefaults(DEFAULT_HEARTBEAT, partial.heartbeat);
  const reconnect = withDefaults<ReconnectOptions>(DEFAULT_CHANNEL_OPTIONS.reconnect, partial.reconnect);
  const outbox = withDefaults(DEFAULT_OUTBOX, partial.outbox);
  const requests = withDefaults<RequestOptions>(DEFAULT_CHANNEL_OPTIONS.requests, partial.requests);
  const reliable = withDefaults(DEFAULT_RELIABLE, partial.reliable);
  const resolved: ResolvedChannelOptions = {
    url,
    header: partial.header ?? {},
    protocols: partial.protocols ?? [],
    getToken: partial.getToken,
    connectTimeoutMs: partial.connectTimeoutMs ?? DEFAULT_CHANNEL_OPTIONS.connectTimeoutMs,
    heartbeat,
    reconnect,
    shouldReconnect: partial.shouldReconnect,
    outbox,
    requests,
    maxBatchBytes: partial.maxBatchBytes ?? defaultBatchBytes(partial.limits?.maxFrameBytes),
    flushMs: partial.flushMs ?? DEFAULT_CHANNEL_OPTIONS.flushMs,
    receiveTurnMs: partial.receiveTurnMs ?? DEFAULT_CHANNEL_OPTIONS.receiveTurnMs,
    limits: partial.limits ?? {},
    reliable,
    transport,
    clock: partial.clock ?? inherited.clock ?? systemClock,
    random: partial.random ?? inherited.random ?? Math.random,
  };
  positive('connectTimeoutMs', resolved.connectTimeoutMs);
  if (resolved.connectTimeoutMs > MAX_CONNECT_TIMEOUT_MS) {
    throw invalid('connectTimeoutMs', resolved.connectTimeoutMs, `at most the platform's ${MAX_CONNECT_TIMEOUT_MS} ms`);
  }
  positive('heartbeat.intervalMs', heartbeat.intervalMs);
  positive('heartbeat.timeoutMs', heartbeat.timeoutMs);
  positive('reconnect.baseMs', reconnect.baseMs);
  positive('reconnect.maxMs', reconnect.maxMs);
  if (!(reconnect.factor >= 1)) throw invalid('reconnect.factor', reconnect.factor, 'a number >= 1');
  positive('reconnect.maxAttempts', reconnect.maxAttempts, true);
  positive('reconnect.minStableMs', reconnect.minStableMs, true);
  if (!['queue', 'latest', 'drop'].includes(outbox.policy)) throw invalid('outbox.policy', outbox.policy, "'queue', 'latest' or 'drop'");
  if (!['drop-oldest', 'reject'].includes(outbox.overflow)) throw invalid('outbox.overflow', outbox.overflow, "'drop-oldest' or 'reject'");
  positive('outbox.maxCount', outbox.maxCount);
  positive('outbox.maxBytes', outbox.maxBytes);
  positive('requests.timeoutMs', requests.timeoutMs);
  if (!['queue', 'reject'].includes(requests.whileDisconnected)) {
    throw invalid('requests.whileDisconnected', requests.whileDisconnected, "'queue' or 'reject'");
  }
  positive('reliable.maxUnacked', reliable.maxUnacked);
  positive('reliable.maxUnackedBytes', reliable.maxUnackedBytes);
  positive('reliable.ackEvery', reliable.ackEvery);
  positive('reliable.ackDelayMs', reliable.ackDelayMs, true);
  positive('maxBatchBytes', resolved.maxBatchBytes);
  positive('flushMs', resolved.flushMs, true);
  positive('receiveTurnMs', resolved.receiveTurnMs);
  if (resolved.getToken !== undefined && typeof resolved.getToken !== 'function') throw invalid('getToken', typeof resolved.getToken, 'a function');
  return resolved;
}
