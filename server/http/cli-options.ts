import { readFileSync } from 'node:fs';
import type { HttpOptions } from './options';

/*
 * The `multisocket-server` command's deployment flags: TLS from PEM files, the admin port, the metrics. Kept beside
 * the deploy options they map to, so that the command line (server/cli.ts) only spreads them in.
 */

/** The parseArgs spec of the deployment flags. */
export const HTTP_ARGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'admin-port': { type: 'string' },
  metrics: { type: 'boolean' },
} as const;

/** The usage lines of the deployment flags. */
export const HTTP_USAGE = `  --tls-cert FILE  serve wss:// with this PEM certificate (chain); needs --tls-key
  --tls-key FILE   the PEM private key of --tls-cert
  --tls-ca FILE    PEM CA certificates to send with the chain (optional)
  --admin-port N   serve /healthz, /readyz and /metrics on this port only, which stays up while the server drains
                   (default: ADMIN_PORT, else on the server's own port)
  --metrics        Prometheus metrics at /metrics (needs the prom-client package: npm install prom-client)`;

/** A bad deployment flag: the command line's exit code 2, as a bad `--port`. */
export class HttpArgError extends Error {}

/**
 * The deploy options the flags ask for (ADMIN_PORT when there is no `--admin-port`).
 * @throws {HttpArgError} naming the flag: a certificate without its key or the other way round, a file that cannot
 * be read, an admin port that is not 0–65535.
 */
export function httpFromArgs(values: { readonly [K in keyof typeof HTTP_ARGS]?: (typeof HTTP_ARGS)[K]['type'] extends 'boolean' ? boolean : string }, env: NodeJS.ProcessEnv): Partial<HttpOptions> {
  const options: Partial<HttpOptions> = {};
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) throw new HttpArgError(`--tls-cert and --tls-key go together (got only ${cert === undefined ? '--tls-key' : '--tls-cert'})`);
  if (cert !== undefined && key !== undefined) {
    const ca = values['tls-ca'];
    options.tls = { cert: pem('--tls-cert', cert), key: pem('--tls-key', key), ...(ca === undefined ? {} : { ca: pem('--tls-ca', ca) }) };
  } else if (values['tls-ca'] !== undefined) {
    throw new HttpArgError('--tls-ca needs --tls-cert and --tls-key');
  }
  const admin = values['admin-port'] ?? (env.ADMIN_PORT || undefined);
  if (admin !== undefined) {
    const port = Number(admin);
    const source = values['admin-port'] === undefined ? 'ADMIN_PORT' : '--admin-port';
    if (!/^\d+$/.test(admin) || port > 65535) throw new HttpArgError(`${source} must be an integer 0–65535, got "${admin}"`);
    options.adminPort = port;
  }
  if (values.metrics) options.metrics = true;
  return options;
}

function pem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new HttpArgError(`${flag} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
