import { type Clock, systemClock } from '../../src/time/clock';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { type CodecLimits, DEFAULT_CODEC_LIMITS, resolveLimits } from '../../src/wire/limits';
import { checkOptionNames, withDefaults } from '../../src/defaults';
import { DEFAULT_RELIABLE, type ReliableOptions } from '../../src/reliable/reliable';
import type { SharedSessionStore } from '../sessions/store';
import { ServerState } from './state';
import { defaultRateLimit, type RateLimitOptions } from './abuse';
import type { Authenticate } from './handshake';
import { type HttpOptions, resolveHttpOptions } from '../http/options';
import { TrustedProxies } from './forwarded';
import { type AllowedOrigins, OriginPolicy } from './origin';

/**
 * Options of {@link createServer}; every field is optional and its default is given here. How it is deployed (an
 * attached `server`, `tls`, `adminPort`, `metrics`) is {@link HttpOptions}.
 */
export interface ServerOptions extends HttpOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 8787. */
  port: number;
  /** Heartbeat interval advertised in WELCOME, ms. Default 15,000. */
  heartbeatMs: number;
  /** How long past `heartbeatMs` a silent client is tolerated before BYE 4001, ms. Default: `heartbeatMs`. */
  heartbeatGraceMs: number;
  /** How long a new socket may take to send HELLO and be accepted before BYE 4001, ms. Default 10,000. */
  helloTimeoutMs: number;
  /** Default timeout of a server-to-client REQUEST, ms. Default 10,000. */
  requestTimeoutMs: number;
  /** How long a closing socket may take to finish the close handshake before it is destroyed, ms. Default 5,000. */
  closeTimeoutMs: number;
  /** Decode limits, as the client's; one FrameCodec shared by every connection. Default: `DEFAULT_CODEC_LIMITS`. */
  limits: Partial<CodecLimits>;
  /** Largest WebSocket message `ws` accepts before closing with 1009, bytes. Default: `limits.maxFrameBytes`. */
  maxPayload: number;
  /**
   * Frames one connection produces in a turn leave in messages of about this many bytes at most (a single larger frame
   * still goes whole). Smaller messages let a client decode a burst in slices, with its other sockets' messages handled
   * in between (the game socket stays fast while chat is busy). Default 64 KiB (the client's `maxBatchBytes`), or
   * `limits.maxFrameBytes` if that is smaller.
   */
  maxBatchBytes: number;
  /**
   * Most bytes one connection may have waiting in its socket's send buffer (a client that stops reading while the
   * server keeps sending: a frozen app, a throttled link). Past it the connection gets BYE 4002 `slow consumer`
   * (retryable: the client reconnects and resumes its session) and the `limited` event fires, so one slow client
   * cannot make the server's memory grow without bound. Default 8 MiB.
   */
  maxBufferedBytes: number;
  /**
   * Per-connection flood limits, as token buckets on `clock`: a client that sends more messages or bytes than they
   * allow gets BYE 4002 and the `limited` event fires. Default: 1,000 messages a second (bursts of 2,000) and
   * 4 MiB a second (bursts of 4 × `maxPayload`); `false` turns them off (a benchmark measuring the server's ceiling).
   */
  rateLimit: Partial<RateLimitOptions> | false;
  /**
   * Most sockets one remote address may hold at once; one more is refused at the upgrade with HTTP 429 (and the
   * `limited` event). Behind a reverse proxy, list it in `trustProxy` so that each client counts by its own address.
   * Default 1,000.
   */
  maxConnectionsPerAddress: number;
  /**
   * Bytes of PUSH and REQUEST frames a client may send right behind HELLO, before WELCOME (PROTOCOL.md, "Early
   * frames"): held until the handshake ends, then handled in order after WELCOME, or discarded with a refusal. WELCOME
   * announces it (`early`) so that a client sends early frames only on its next connection to a server that takes them.
   * More than this before WELCOME is a protocol error (BYE 4400); 0 takes none and announces nothing, as servers did
   * before. Default 64 KiB (the client's `maxBatchBytes`).
   */
  maxEarlyBytes: number;
  /** Time source for every deadline and for WELCOME/PONG times. Default: `systemClock`. */
  clock: Clock;
  /** Accepts or refuses each HELLO. Default: accept every client. */
  authenticate: Authenticate;
  /**
   * How long a session is kept after its client disconnects, for the client to resume it (PROTOCOL.md section 5), ms.
   * 0 frees it at once. Default 120,000.
   */
  resumeWindowMs: number;
  /**
   * Reliable delivery limits of every session: how many unacknowledged messages (and bytes) the server keeps for one
   * client, and how often it acknowledges the client's. Default: `DEFAULT_RELIABLE` (1,000 messages, 1 MiB, an ACK
   * every 32 messages or 200 ms).
   */
  reliable: Partial<ReliableOptions>;
  /**
   * Where sessions and chat rooms are kept. A state from `createMemoryState()` outlives the server: a new server built
   * with it (once this one's `close()` resolved) lets clients resume, and `close()` keeps them by default. Default: a
   * fresh state of the server's own, ended with it.
   */
  state: ServerState;
  /**
   * Sessions shared by several server processes (`createRedisSessionStore` in server/redis/session-store.ts): each
   * session is written through to it and a client may resume on any process that shares it (SCALING.md). Default:
   * none, sessions live in `state` only.
   */
  sessionStore: SharedSessionStore | undefined;
  /**
   * Addresses of the reverse proxies in front of the server (IPs and CIDR ranges, e.g. `['127.0.0.1', '10.0.0.0/8']`):
   * from them, the client's address (for `maxConnectionsPerAddress`, `remoteAddress` and the `limited` event) is the
   * rightmost `X-Forwarded-For` hop that is not one of them; from anyone else the header is ignored. Default `[]`: the
   * socket's own address, whatever the headers say. There is no "trust everyone": any client could then pick its own
   * address, and with it its own share of `maxConnectionsPerAddress`.
   */
  trustProxy: readonly string[];
  /**
   * The pages allowed to connect: browser `origins` and WeChat `appIds` (from the platform's fixed `Referer`); any other
   * upgrade, or one with neither header, is refused with HTTP 403. Not authentication (see `authenticate`). Default:
   * every page and client allowed.
   */
  allowedOrigins: Readonly<AllowedOrigins> | undefined;
}

/** {@link ServerOptions} with every default filled in, once, when the server is created. */
export interface ResolvedServerOptions extends Readonly<Omit<ServerOptions, 'limits' | 'reliable' | 'rateLimit' | 'trustProxy' | 'allowedOrigins'>> {
  readonly trustProxy: TrustedProxies;
  readonly allowedOrigins: OriginPolicy | undefined;
  readonly limits: Readonly<CodecLimits>;
  readonly reliable: Readonly<ReliableOptions>;
  readonly rateLimit: Readonly<RateLimitOptions> | false;
}

/** Every key of {@link ServerOptions} (the type makes the list complete): any other is a typo, refused. */
const SERVER_OPTION_NAMES = Object.keys({
  host: 1, port: 1, heartbeatMs: 1, heartbeatGraceMs: 1, helloTimeoutMs: 1, requestTimeoutMs: 1, closeTimeoutMs: 1,
  limits: 1, maxPayload: 1, maxBatchBytes: 1, maxBufferedBytes: 1, rateLimit: 1, maxConnectionsPerAddress: 1, clock: 1,
  maxEarlyBytes: 1,
  authenticate: 1, resumeWindowMs: 1, reliable: 1, state: 1, sessionStore: 1, trustProxy: 1, allowedOrigins: 1,
  server: 1, path: 1, tls: 1, adminPort: 1, readyTimeoutMs: 1, metrics: 1,
} satisfies Record<keyof ServerOptions, 1>);

/**
 * Fills in the defaults and checks every value.
 * @throws {UsageError} `invalid_option` naming the option; {@link RangeError} for a bad codec limit.
 */
export function resolveServerOptions(options: Readonly<Partial<ServerOptions>> = {}): ResolvedServerOptions {
  checkOptionNames('createServer', options, SERVER_OPTION_NAMES);
  checkOptionNames('createServer', options.limits, Object.keys(DEFAULT_CODEC_LIMITS), 'limits.');
  const limits = resolveLimits(options.limits ?? {});
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxPayload = options.maxPayload ?? limits.maxFrameBytes;
  const resolved: ResolvedServerOptions = {
    ...resolveHttpOptions(options),
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8787,
    heartbeatMs,
    heartbeatGraceMs: options.heartbeatGraceMs ?? heartbeatMs,
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
    limits,
    maxPayload,
    maxBatchBytes: options.maxBatchBytes ?? Math.min(64 * 1024, limits.maxFrameBytes),
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    rateLimit: resolveRateLimit(options.rateLimit, maxPayload),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 1_000,
    maxEarlyBytes: options.maxEarlyBytes ?? 64 * 1024,
    clock: options.clock ?? systemClock,
    authenticate: options.authenticate ?? (() => true),
    resumeWindowMs: options.resumeWindowMs ?? 120_000,
    reliable: resolveReliable(options.reliable),
    state: options.state ?? new ServerState(false),
    sessionStore: options.sessionStore,
    trustProxy: new TrustedProxies(options.trustProxy ?? []),
    allowedOrigins: options.allowedOrigins === undefined ? undefined : new OriginPolicy(options.allowedOrigins),
  };
  if (typeof resolved.host !== 'string' || resolved.host.length === 0) invalid('host', resolved.host);
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) invalid('port', resolved.port);
  checkDuration('heartbeatMs', resolved.heartbeatMs, 1);
  checkDuration('heartbeatGraceMs', resolved.heartbeatGraceMs, 0);
  checkDuration('helloTimeoutMs', resolved.helloTimeoutMs, 1);
  checkDuration('requestTimeoutMs', resolved.requestTimeoutMs, 1);
  checkDuration('closeTimeoutMs', resolved.closeTimeoutMs, 1);
  checkDuration('resumeWindowMs', resolved.resumeWindowMs, 0);
  if (!Number.isSafeInteger(resolved.maxPayload) || resolved.maxPayload <= 0) invalid('maxPayload', resolved.maxPayload);
  checkDuration('maxBatchBytes', resolved.maxBatchBytes, 1);
  // As the client's: a batch larger than a frame may be would make the writer refuse frames it had accepted.
  if (resolved.maxBatchBytes > limits.maxFrameBytes) invalid('maxBatchBytes', resolved.maxBatchBytes);
  checkDuration('maxBufferedBytes', resolved.maxBufferedBytes, 1);
  checkDuration('maxEarlyBytes', resolved.maxEarlyBytes, 0);
  if (resolved.maxConnectionsPerAddress !== Infinity) checkDuration('maxConnectionsPerAddress', resolved.maxConnectionsPerAddress, 1);
  if (!(resolved.state instanceof ServerState)) invalid('state', resolved.state);
  if (typeof resolved.authenticate !== 'function') invalid('authenticate', resolved.authenticate);
  const clock = resolved.clock;
  if (!clock || typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    invalid('clock', clock);
  }
  return Object.freeze(resolved);
}

function resolveReliable(partial: Partial<ReliableOptions> | undefined): Readonly<ReliableOptions> {
  if (partial !== undefined && (typeof partial !== 'object' || partial === null)) invalid('reliable', partial);
  checkOptionNames('createServer', partial, Object.keys(DEFAULT_RELIABLE), 'reliable.');
  const reliable = withDefaults(DEFAULT_RELIABLE, partial);
  for (const key of Object.keys(DEFAULT_RELIABLE) as (keyof ReliableOptions)[]) {
    checkDuration(`reliable.${key}`, reliable[key], key === 'ackDelayMs' ? 0 : 1);
  }
  return Object.freeze(reliable);
}

function resolveRateLimit(partial: Partial<RateLimitOptions> | false | undefined, maxPayload: number): Readonly<RateLimitOptions> | false {
  if (partial === false) return false;
  if (partial !== undefined && (typeof partial !== 'object' || partial === null)) invalid('rateLimit', partial);
  const defaults = defaultRateLimit(maxPayload);
  checkOptionNames('createServer', partial, Object.keys(defaults), 'rateLimit.');
  const rateLimit = withDefaults<RateLimitOptions>(defaults, partial);
  for (const key of Object.keys(defaults) as (keyof RateLimitOptions)[]) checkDuration(`rateLimit.${key}`, rateLimit[key], 1);
  // A bucket smaller than one allowed message would refuse that message however slowly it came.
  if (rateLimit.byteBurst < maxPayload) invalid('rateLimit.byteBurst', `${rateLimit.byteBurst} (below maxPayload ${maxPayload})`);
  return Object.freeze(rateLimit);
}

/** @throws {UsageError} `invalid_option` naming the option unless `value` is an integer ≥ `min`. */
export function checkDuration(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) invalid(name, value);
}

function invalid(name: string, value: unknown): never {
  const shown = typeof value === 'function' || typeof value === 'object' ? typeof value : String(value);
  throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} is invalid: ${shown}`);
}
