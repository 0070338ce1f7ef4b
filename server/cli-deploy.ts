import { UsageErrorCode } from '../src/codes';
import { UsageError } from '../src/errors';
import type { ServerOptions } from './core/options';
import { TrustedProxies } from './core/forwarded';
import { OriginPolicy } from './core/origin';

/*
 * The command's options for running behind a reverse proxy, during rolling restarts (deploy/nginx.conf, SCALING.md):
 * whom to believe about client addresses, which pages may connect, and the retry hint its BYE 4000 carries on SIGTERM.
 */

/** The retry hint of the BYE 4000 sent on SIGTERM when `--retry-ms` is not given, ms. */
const DEFAULT_RETRY_MS = 1_000;

/** Their `parseArgs` specs: each list option may be repeated or given comma-separated. */
export const DEPLOY_ARGS = {
  'trust-proxy': { type: 'string', multiple: true },
  'allow-origin': { type: 'string', multiple: true },
  'allow-appid': { type: 'string', multiple: true },
  'retry-ms': { type: 'string' },
} as const;

/** Their lines of the usage. */
export const DEPLOY_USAGE = `  --trust-proxy LIST   addresses / CIDR ranges of the reverse proxies in front (e.g. 127.0.0.1,10.0.0.0/8): from
                       them the client's address, for the per-address limit, is read from X-Forwarded-For
                       (default: none, the socket's address)
  --allow-origin URL   a browser origin allowed to connect (https://play.example.com); repeatable
  --allow-appid ID     a WeChat app id allowed to connect (from its Referer); repeatable. With either of these,
                       any other upgrade is refused with HTTP 403 (default: every page allowed)
  --retry-ms N         the retry hint of the BYE 4000 sent on SIGTERM: clients come back within N ms
                       (default ${DEFAULT_RETRY_MS})`;

/** What those options give the server and its shutdown. */
export interface DeployOptions {
  readonly server: Pick<ServerOptions, 'trustProxy' | 'allowedOrigins'>;
  readonly retryMs: number;
}

type DeployValues = { [K in keyof typeof DEPLOY_ARGS]?: (typeof DEPLOY_ARGS)[K] extends { multiple: true } ? string[] : string };

/**
 * Checks the values as `createServer` will.
 * @throws {UsageError} `invalid_option` naming the bad value (the command's exit 2).
 */
export function deployOptions(values: DeployValues): DeployOptions {
  const split = (list: string[] | undefined) => (list ?? []).flatMap((item) => item.split(',')).map((item) => item.trim());
  const trustProxy = split(values['trust-proxy']);
  const origins = split(values['allow-origin']);
  const appIds = split(values['allow-appid']);
  const allowedOrigins = origins.length + appIds.length === 0 ? undefined : { origins, appIds };
  // Built here only to refuse a bad value before anything starts; the server builds its own.
  new TrustedProxies(trustProxy);
  if (allowedOrigins) new OriginPolicy(allowedOrigins);
  const retry = values['retry-ms'];
  const retryMs = retry === undefined ? DEFAULT_RETRY_MS : Number(retry);
  if (retry !== undefined && (!/^\d+$/.test(retry) || !Number.isSafeInteger(retryMs))) {
    throw new UsageError(UsageErrorCode.InvalidOption, `--retry-ms must be a whole number of ms, got "${retry}"`);
  }
  return { server: { trustProxy, allowedOrigins }, retryMs };
}
