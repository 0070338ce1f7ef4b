import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../src/time/clock';
import type { RequestRoutes } from './endpoint';

/*
 * The endpoints an orchestrator and Prometheus ask: `/healthz` (the process is up and answering), `/readyz` (send it
 * clients: it is listening, not draining, and its session store answers a PING in time) and `/metrics`.
 */

/** What the health endpoints ask of the server. */
export interface HealthSource {
  /** Why the server takes no new clients now (not listening yet, draining), or undefined when it does. */
  notAccepting(): string | undefined;
  /** The shared session store, when there is one: `/readyz` needs its PING answered. */
  readonly store: { ping?(): Promise<unknown> } | undefined;
  readonly readyTimeoutMs: number;
  readonly clock: Clock;
  /** The Prometheus text and its content type; undefined without the `metrics` option (`/metrics` is then 404). */
  readonly metrics: (() => Promise<{ contentType: string; body: string }>) | undefined;
}

/** The routes `/healthz`, `/readyz` and `/metrics` (GET or HEAD; any other method is 405). */
export function healthRoutes(source: HealthSource): RequestRoutes {
  return (req, res) => {
    const path = (req.url ?? '/').replace(/[?#].*$/, '');
    if (path !== '/healthz' && path !== '/readyz' && !(path === '/metrics' && source.metrics)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return true;
    }
    if (path === '/healthz') text(res, 200, 'ok');
    else if (path === '/readyz') void readiness(source).then((notReady) => text(res, notReady ? 503 : 200, notReady ? `not ready: ${notReady}` : 'ready'));
    else void metrics(source, res);
    return true;
  };
}

/** Why the server is not ready, or undefined when it is. */
async function readiness(source: HealthSource): Promise<string | undefined> {
  const refused = source.notAccepting();
  if (refused !== undefined) return refused;
  const ping = source.store?.ping;
  if (!ping) return undefined;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = source.clock.setTimeout(() => resolve(`session store did not answer PING within ${source.readyTimeoutMs} ms`), source.readyTimeoutMs);
  });
  const answered = ping.call(source.store).then(
    () => undefined,
    (error: unknown) => `session store: ${error instanceof Error ? error.message : String(error)}`,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    source.clock.clearTimeout(timer as ReturnType<Clock['setTimeout']>);
  }
}

async function metrics(source: HealthSource, res: ServerResponse): Promise<void> {
  try {
    const { contentType, body } = await (source.metrics as NonNullable<HealthSource['metrics']>)();
    res.writeHead(200, { 'content-type': contentType }).end(body);
  } catch (error) {
    text(res, 500, `metrics failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function text(res: ServerResponse<IncomingMessage>, status: number, body: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${body}\n`);
}
