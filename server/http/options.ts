import type { Server as HttpServer } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Registry } from 'prom-client';
import { UsageErrorCode } from '../../src/codes';
import { checkOptionNames } from '../../src/defaults';
import { UsageError } from '../../src/errors';
import { requirePeer } from '../peer';

/**
 * The TLS options a server that serves `wss://` itself takes: `https.createServer`'s, by the same names. `cert` and
 * `key` (PEM), or `pfx`, are required; the others are passed on as they are.
 */
export type TlsOptions = Pick<
  HttpsServerOptions,
  'cert' | 'key' | 'pfx' | 'passphrase' | 'ca' | 'ciphers' | 'minVersion' | 'maxVersion' | 'dhparam' | 'ecdhCurve' | 'honorCipherOrder' | 'sessionTimeout' | 'requestCert' | 'rejectUnauthorized'
>;

const TLS_OPTION_NAMES = Object.keys({
  cert: 1, key: 1, pfx: 1, passphrase: 1, ca: 1, ciphers: 1, minVersion: 1, maxVersion: 1, dhparam: 1, ecdhCurve: 1,
  honorCipherOrder: 1, sessionTimeout: 1, requestCert: 1, rejectUnauthorized: 1,
} satisfies Record<keyof TlsOptions, 1>);

/** The metrics of a server: `true` for a registry of its own, or the registry to register them in. */
export type MetricsOption = boolean | { readonly registry: Registry };

/** How a server is deployed: its own port or an existing HTTP(S) server, TLS, health and metrics endpoints. */
export interface HttpOptions {
  /**
   * An `http` or `https` server of the application to attach to instead of listening on `host`:`port`: the server
   * takes the WebSocket upgrades on `path` and leaves every other request and upgrade to its owner; `close()` never
   * closes it. `host` then names the interface of `adminPort` alone, and `port` and `tls` are refused (the server
   * has its own). Default: none, the server listens on a port of its own.
   */
  server: HttpServer | undefined;
  /**
   * The path (without query) clients connect on. Required with `server`. On a port of its own, an upgrade on any
   * other path is refused with 404. Default: every path (a port of its own).
   */
  path: string | undefined;
  /** Serve `wss://` on the server's own port with these certificates (not with `server`). Default: plain `ws://`. */
  tls: TlsOptions | undefined;
  /**
   * A port (0 picks a free one) on `host` for `/healthz`, `/readyz` and `/metrics` alone, which stays up while the
   * server drains so that a load balancer sees `/readyz` turn 503. Default: none; they are then served on the
   * server's own port (not on an attached `server`, whose requests belong to its owner).
   */
  adminPort: number | undefined;
  /** How long `/readyz` waits for the session store's PING before it answers 503, ms. Default 1,000. */
  readyTimeoutMs: number;
  /**
   * Prometheus metrics (`/metrics`, through the `prom-client` package, an optional peer): `true` registers them in a
   * registry of the server's own, `{ registry }` in the application's. Default false.
   */
  metrics: MetricsOption;
}

/**
 * Fills in the deploy defaults and checks them against each other and against `host`/`port`.
 * @throws {UsageError} `invalid_option` naming the option; {@link ServerError} `missing_package` for `metrics` without
 * `prom-client`.
 */
export function resolveHttpOptions(options: Readonly<Partial<HttpOptions & { host: string; port: number }>>): Readonly<HttpOptions> {
  const { server, path, tls, adminPort } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? 1_000;
  const metrics = options.metrics ?? false;
  if (server !== undefined) {
    if (typeof server !== 'object' || server === null || typeof server.on !== 'function' || typeof server.address !== 'function') invalid('server', 'not an http or https server');
    if (path === undefined) invalid('path', 'required with server (the path the WebSocket upgrades come on)');
    for (const own of ['port', 'tls'] as const) {
      if (options[own] !== undefined) invalid(own, `not with server (the attached server has its own ${own === 'tls' ? 'TLS' : own})`);
    }
  }
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path))) invalid('path', String(path));
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null) invalid('tls', typeof tls);
    checkOptionNames('createServer', tls, TLS_OPTION_NAMES, 'tls.');
    if (tls.pfx === undefined && (tls.cert === undefined || tls.key === undefined)) invalid('tls', 'needs cert and key (PEM), or pfx');
  }
  if (adminPort !== undefined && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) invalid('adminPort', String(adminPort));
  if (typeof readyTimeoutMs !== 'number' || !Number.isSafeInteger(readyTimeoutMs) || readyTimeoutMs < 1) invalid('readyTimeoutMs', String(readyTimeoutMs));
  if (typeof metrics === 'object' && metrics !== null) {
    checkOptionNames('createServer', metrics, ['registry'], 'metrics.');
    if (typeof metrics.registry?.registerMetric !== 'function') invalid('metrics.registry', 'not a prom-client Registry');
  } else if (typeof metrics !== 'boolean') {
    invalid('metrics', String(metrics));
  }
  if (metrics !== false) requirePeer('prom-client', 'createServer({metrics})');
  return { server, path, tls, adminPort, readyTimeoutMs, metrics };
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} is invalid: ${shown}`);
}
