import { type BackoffOptions, DEFAULT_BACKOFF } from '../time/backoff';
import { type Clock, systemClock } from '../time/clock';
import { UsageErrorCode } from '../codes';
import { checkOptionNames, withDefaults } from '../defaults';
import { UsageError } from '../errors';
import { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './heartbeat';
import { type CodecLimits, DEFAULT_CODEC_LIMITS } from '../wire/limits';
import { DEFAULT_RELIABLE, type ReliableOptions } from '../reliable/reliable';
import { DEFAULT_OUTBOX, type OutboxOptions } from './outbox';
import type { Transport } from '../transport/types';

/** What `shouldReconnect` is told about a lost connection. */
export interface ReconnectInfo {
  /** The reconnect attempt about to be made (0 for the first after a drop). */
  attempt: number;
  /** Why the connection was lost (a {@link StateReason}). */
  reason: string;
  /** The close or BYE code, when there was one. */
  code?: number;
  /** Why: the same error the `reconnecting` event and `Channel.lastError` carry. */
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
const MAX_CONNECT_TIMEOUT_MS = 60_000;

const DEFAULT_CHANNEL_OPTIONS = Object.freeze({
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

/** The options that are groups, each resolved field by field against its defaults. */
const GROUPS = {
  heartbeat: DEFAULT_HEARTBEAT,
  reconnect: DEFAULT_CHANNEL_OPTIONS.reconnect,
  outbox: DEFAULT_OUTBOX,
  requests: DEFAULT_CHANNEL_OPTIONS.requests,
  reliable: DEFAULT_RELIABLE,
};

/** Every key of {@link ChannelOptions} (the type makes the list complete): any other is a typo, refused. */
export const CHANNEL_OPTION_NAMES: readonly string[] = Object.keys({
  url: 1, header: 1, protocols: 1, getToken: 1, connectTimeoutMs: 1, heartbeat: 1, reconnect: 1, shouldReconnect: 1,
  outbox: 1, requests: 1, maxBatchBytes: 1, flushMs: 1, receiveTurnMs: 1, limits: 1, reliable: 1, transport: 1, clock: 1,
  random: 1,
} satisfies Record<keyof ChannelOptions, 1>);

/** The numeric options in the order they are checked: each must be > 0, or >= 0 where marked `>=0`. */
const NUMBERS = (
  'connectTimeoutMs heartbeat.intervalMs heartbeat.timeoutMs reconnect.baseMs reconnect.maxMs ' +
  'reconnect.maxAttempts>=0 reconnect.minStableMs>=0 outbox.maxCount outbox.maxBytes requests.timeoutMs ' +
  'reliable.maxUnacked reliable.maxUnackedBytes reliable.ackEvery reliable.ackDelayMs>=0 maxBatchBytes flushMs>=0 receiveTurnMs'
).split(' ');

/** The options that take one of a few strings. */
const CHOICES: ReadonlyArray<readonly [group: 'outbox' | 'requests', field: string, allowed: readonly string[]]> = [
  ['outbox', 'policy', ['queue', 'latest', 'drop']],
  ['outbox', 'overflow', ['drop-oldest', 'reject']],
  ['requests', 'whileDisconnected', ['queue', 'reject']],
];

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
  where = 'a channel',
): ResolvedChannelOptions {
  checkOptionNames(where, partial, CHANNEL_OPTION_NAMES);
  for (const group of Object.keys(GROUPS) as (keyof typeof GROUPS)[]) checkOptionNames(where, partial[group], Object.keys(GROUPS[group]), `${group}.`);
  checkOptionNames(where, partial.limits, Object.keys(DEFAULT_CODEC_LIMITS), 'limits.');
  const url = partial.url;
  if (typeof url !== 'string' || !/^wss?:\/\/./i.test(url)) throw invalid('url', url, 'a ws:// or wss:// URL');
  const defaults: Omit<ChannelOptions, 'url' | keyof typeof GROUPS> = {
    header: {},
    protocols: [],
    getToken: undefined,
    connectTimeoutMs: DEFAULT_CHANNEL_OPTIONS.connectTimeoutMs,
    shouldReconnect: undefined,
    maxBatchBytes: defaultBatchBytes(partial.limits?.maxFrameBytes),
    flushMs: DEFAULT_CHANNEL_OPTIONS.flushMs,
    receiveTurnMs: DEFAULT_CHANNEL_OPTIONS.receiveTurnMs,
    limits: {},
    transport: inherited.transport as Transport,
    clock: inherited.clock ?? systemClock,
    random: inherited.random ?? Math.random,
  };
  const resolved = { url } as Record<string, unknown>;
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) resolved[key] = partial[key] ?? defaults[key];
  for (const key of Object.keys(GROUPS) as (keyof typeof GROUPS)[]) resolved[key] = withDefaults<object>(GROUPS[key], partial[key]);
  const options = resolved as unknown as ResolvedChannelOptions;
  const transport = options.transport;
  if (!transport || typeof transport.connect !== 'function') throw invalid('transport', typeof transport, 'a Transport');
  if (!(options.reconnect.factor >= 1)) throw invalid('reconnect.factor', options.reconnect.factor, 'a number >= 1');
  for (const rule of NUMBERS) {
    const [name, floor] = rule.split('>=');
    const value = (name as string).split('.').reduce<unknown>((group, key) => (group as Record<string, unknown>)[key], options);
    const zeroOk = floor !== undefined;
    if (typeof value !== 'number' || !(zeroOk ? value >= 0 : value > 0)) throw invalid(name as string, value, zeroOk ? 'a number >= 0' : 'a number > 0');
  }
  if (options.connectTimeoutMs > MAX_CONNECT_TIMEOUT_MS) {
    throw invalid('connectTimeoutMs', options.connectTimeoutMs, `at most the platform's ${MAX_CONNECT_TIMEOUT_MS} ms`);
  }
  for (const [group, field, allowed] of CHOICES) {
    const value = (options[group] as unknown as Record<string, string>)[field] as string;
    if (!allowed.includes(value)) throw invalid(`${group}.${field}`, value, allowed.map((a) => `'${a}'`).join(' or '));
  }
  if (options.getToken !== undefined && typeof options.getToken !== 'function') throw invalid('getToken', typeof options.getToken, 'a function');
  return options;
}
