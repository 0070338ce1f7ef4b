#!/usr/bin/env node
import { format, parseArgs } from 'node:util';
import { CloseCode } from '../src/codes';
import { systemClock } from '../src/time/clock';
import { UsageError } from '../src/errors';
import { ServerError, ServerErrorCode } from './core/errors';
import { DEPLOY_ARGS, DEPLOY_USAGE, type DeployOptions, deployOptions } from './cli-deploy';
import { exitOnStopSignals, SHUTDOWN_DEADLINE_MS } from './shutdown';
import { HTTP_ARGS, HTTP_USAGE, HttpArgError, httpFromArgs } from './http/cli-options';
import type { HttpOptions } from './http/options';

/*
 * `multisocket-server` (package.json `bin`; `npm run serve` in this repository): the reference server with the chat and game modules and a few demo handlers, for trying a client
 * by hand. `--port` and `--host` (else PORT, default 8787, and HOST, default 127.0.0.1). `--redis <url>` (or REDIS_URL)
 * puts the chat rooms and the sessions on Redis and makes the game one world across processes, so that several
 * processes on several ports form one service whose clients resume on any of them (SCALING.md); `--redis-cluster
 * host:port,...` (or REDIS_CLUSTER) does it on a Redis Cluster. REDIS_PREFIX (default `default`) names that service's
 * keys and channels.
 */

// Through the streams rather than `console`: src/host.d.ts narrows the global console type to `warn` alone.
const log = (...args: unknown[]): void => void process.stdout.write(`${format(...args)}\n`);
const logError = (...args: unknown[]): void => void process.stderr.write(`${format(...args)}\n`);

/** A bad `--port` or PORT: the command line's exit code 2, not a crash. */
class PortError extends Error {}

function portOf(source: string, value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PortError(`${source} must be an integer 0–65535, got "${value}"`);
  return port;
}

/** Where Redis is: a URL, or the nodes a Redis Cluster client starts from. */
type RedisAt = { readonly url: string } | { readonly cluster: readonly { host: string; port: number }[] };

interface CliOptions {
  readonly host: string;
  readonly port: number;
  readonly redis: RedisAt | undefined;
  readonly deploy: DeployOptions;
  /** TLS, the admin port and the metrics (server/http/cli-options.ts). */
  readonly http: Partial<HttpOptions>;
}

/** A bad option value, as parseArgs reports its own: one line, exit 2. */
function badValue(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
}

/** `--redis` or REDIS_URL, else `--redis-cluster` or REDIS_CLUSTER (`host:port,host:port`), not both. */
function redisAt(url: string | undefined, cluster: string | undefined): RedisAt | undefined {
  if (url && cluster) throw badValue('give --redis (REDIS_URL) or --redis-cluster (REDIS_CLUSTER), not both');
  if (!cluster) return url ? { url } : undefined;
  return {
    cluster: cluster.split(',').map((node) => {
      const [, host, port] = /^\s*([^\s:]+):(\d{1,5})\s*$/.exec(node) ?? [];
      if (!host || !(Number(port) >= 1 && Number(port) <= 65535)) throw badValue(`--redis-cluster needs host:port[,host:port...], got "${cluster}"`);
      return { host, port: Number(port) };
    }),
  };
}

const USAGE = `usage: multisocket-server [--port N] [--host ADDRESS] [--redis URL | --redis-cluster HOST:PORT,...]
                          [--trust-proxy LIST] [--allow-origin URL] [--allow-appid ID] [--retry-ms N]
                          [--tls-cert FILE --tls-key FILE] [--admin-port N] [--metrics]
  --port N      the port, 0 for any free one (default: PORT, else 8787)
  --host ADDR   the address to listen on (default: HOST, else 127.0.0.1)
  --redis URL   chat rooms, sessions and the game world on Redis (default: REDIS_URL, else in memory);
                needs the ioredis package (npm install ioredis)
  --redis-cluster HOST:PORT,...  the same on a Redis Cluster, from these nodes (default: REDIS_CLUSTER)
${DEPLOY_USAGE}
${HTTP_USAGE}
Environment: PORT (default 8787), HOST (default 127.0.0.1), REDIS_URL, REDIS_CLUSTER, REDIS_PREFIX (default "default"),
ADMIN_PORT.
SIGTERM or SIGINT: every client gets BYE 4000 (come back within --retry-ms), sessions are written to Redis, exit 0;
exit 1 if that takes more than ${SHUTDOWN_DEADLINE_MS / 1000} s.`;

/**
 * Where to listen and the Redis URL (`--redis <url>` or `--redis=<url>`, else REDIS_URL; undefined for the in-memory
 * server), or `'help'`.
 * Strict parseArgs: an unknown option or a missing URL throws its one-line TypeError (code ERR_PARSE_ARGS_*). Not the
 * scripts' helper (scripts/command-line.ts): the server, which ships, depends on nothing of the tools.
 */
function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: 'string' }, host: { type: 'string' }, redis: { type: 'string' }, 'redis-cluster': { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...DEPLOY_ARGS, ...HTTP_ARGS },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    host: values.host || process.env.HOST || '127.0.0.1',
    port: values.port === undefined ? portOf('PORT', process.env.PORT) : portOf('--port', values.port),
    redis: redisAt(values.redis || process.env.REDIS_URL, values['redis-cluster'] || process.env.REDIS_CLUSTER),
    deploy: deployOptions(values),
    http: httpFromArgs(values, process.env),
  };
}

function argsOrExit(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    const parseError = error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    if (!parseError && !(error instanceof PortError) && !(error instanceof UsageError) && !(error instanceof HttpArgError)) throw error;
    logError(`multisocket server: ${error.message.split('\n')[0]} (--help lists the options)`);
    process.exit(2);
  }
  if (parsed === 'help') {
    log(USAGE);
    process.exit(0);
  }
  return parsed;
}

/**
 * `load()`, or the process ends there with one line on stderr and exit 1 when it needs an optional peer that is not
 * installed (`ws`, or `ioredis` for `--redis`): the line says what to install, instead of `Cannot find module`.
 */
async function loadOrExit<T>(load: () => Promise<T>, wanted: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!(error instanceof ServerError && error.code === ServerErrorCode.MissingPackage)) throw error;
    logError(`multisocket server: ${wanted}${error.message.replace(/^\S+/, '')}`);
    return process.exit(1);
  }
}

/** The chat store, the session store and the game broker on Redis; on a Cluster, one client shared, quit by `quit`. */
async function openRedis(at: RedisAt, prefix: string | undefined) {
  const redis = await loadOrExit(() => import('./redis'), 'url' in at ? '--redis' : '--redis-cluster');
  const client = 'url' in at ? undefined : redis.createClusterClient(at.cluster);
  const target = client ? { client } : { url: (at as { url: string }).url };
  return {
    store: await redis.createRedisChatStore({ ...target, prefix }),
    sessionStore: await redis.createRedisSessionStore({ ...target, prefix }),
    broker: await redis.createRedisGameBroker({ ...target, prefix }),
    quit: async () => void (await client?.quit()),
    shown: 'url' in at ? at.url.replace(/\/\/[^@/]*@/, '//***@') : `cluster ${at.cluster.map((n) => `${n.host}:${n.port}`).join(',')}`,
  };
}

async function main(): Promise<void> {
  const options = argsOrExit(process.argv.slice(2));
  // Loaded only now, and Redis only when asked for: the in-memory server needs nothing beyond `ws`.
  const { createServer, installChat, installGame } = await loadOrExit(() => import('./index'), 'the server');
  const { store, sessionStore, broker, quit, shown } = options.redis === undefined ? {} : await openRedis(options.redis, process.env.REDIS_PREFIX || undefined);
  if (store) {
    log(`chat rooms, sessions and the game world on redis ${shown}`);
    store.on('unavailable', ({ error }) => logError(`! redis unavailable: ${error.message}; chat/say is refused "unavailable" until it returns`));
    store.on('available', () => log('redis available again'));
    store.on('error', ({ error }) => logError('! redis', error));
  }
  if (broker) {
    broker.on('unavailable', ({ error }) => logError(`! redis game broker unavailable: ${error.message}; the game runs with this process's players only`));
    broker.on('available', () => log('redis game broker available again'));
    broker.on('error', ({ error }) => logError('! redis game broker', error));
  }
  const server = await loadOrExit(async () => createServer({ host: options.host, port: options.port, sessionStore, ...options.deploy.server, ...options.http }), '--metrics');

  installChat(server, { store });
  installGame(server, { broker });
  server.handle('echo', (payload) => payload);
  server.handle('time', () => Date.now());
  server.on('echo', (payload, ctx) => {
    ctx.connection.push('echo', payload);
  });
  // A RELIABLE sent to `echo/reliable` comes back as a RELIABLE, once: a way to watch resume across processes.
  server.on('echo/reliable', (payload, ctx) => {
    ctx.session.sendReliable('echo/reliable', payload);
  });

  server.events.on('connection', ({ connection, session, resumed }) =>
    log(`+ ${connection.id} ${connection.remoteAddress} channel "${connection.channel}" ${resumed ? 'resumed' : 'new'} session ${session.publicId}`),
  );
  server.events.on('sessionEnd', ({ session, reason }) => log(`x session ${session.publicId} ${reason}`));
  server.events.on('disconnect', ({ connection, code, reason }) => log(`- ${connection.id} ${code} ${reason}`));
  server.events.on('protocolError', ({ connection, error, closeCode }) => logError(`! ${connection.id} ${closeCode} ${error.code}: ${error.message}`));
  server.events.on('error', ({ error, connection }) => logError(`! ${connection?.id ?? 'server'}`, error));

  const address = await server.listen();
  const admin = address.adminPort === undefined ? '' : ` (/healthz, /readyz${server.metrics ? ', /metrics' : ''} on admin port ${address.adminPort})`;
  log(`multisocket reference server listening on ${address.url}${admin}`);

  exitOnStopSignals(
    { on: (signal, listener) => process.on(signal, listener), exit: (code) => process.exit(code), log, logError, clock: systemClock },
    // 4000 rather than 1000: clients should come back once the server is restarted. The server writes its sessions
    // to the session store while it closes, so the stores close after it.
    async () => {
      await server.close({ code: CloseCode.ServerRestart, reason: 'server restarting', retryMs: options.deploy.retryMs });
      await Promise.all([store?.close(), sessionStore?.close(), broker?.close()]);
      await quit?.();
    },
  );
}

main().catch((err: unknown) => {
  logError(err);
  process.exit(1);
});
