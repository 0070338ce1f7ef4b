/*
 * How the end-to-end suites' server processes live, on the benchmarks' one harness (../script-process): each says
 * `{type: 'ready', url}` once listening, answers `{type: 'usage', gc}` with its own memory and CPU (the scale suite
 * measures the server process itself), and exits when its stdin closes (the parent closed it, or the parent died),
 * after closing its listener.
 */
import { parseArgs } from 'node:util';
import { listenToParent, preciseNow, tellParent } from '../script-process';

/** A server process's own figures, as the scale suite reads them. */
export interface ServerUsage {
  readonly type: 'usage';
  readonly heapUsed: number;
  readonly rss: number;
  /** Memory outside the V8 heap held by JS objects (Buffers, ArrayBuffers). */
  readonly external: number;
  /** `process.cpuUsage()` user + system, microseconds since the process started. */
  readonly cpuUs: number;
  /** When it was read, ms (`preciseNow`). */
  readonly at: number;
  readonly [field: string]: unknown;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Memory and CPU now; with `collect`, after full GCs (the process must run with --expose-gc). */
async function usage(collect: boolean): Promise<ServerUsage> {
  if (collect) {
    if (!gc) throw new Error('usage after GC needs --expose-gc');
    // Several passes with a turn in between: what one pass frees may let finalizers and weak callbacks free more.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const { heapUsed, rss, external } = process.memoryUsage();
  const cpu = process.cpuUsage();
  return { type: 'usage', heapUsed, rss, external, cpuUs: cpu.user + cpu.system, at: preciseNow() };
}

/**
 * `--ping=MS`: how often a server whose protocol has the server send the heartbeat (socket.io, Colyseus, a raw `ws`
 * ping) sends it; undefined (their defaults, none for raw ws) without it. The bytes suite sets it to see heartbeats.
 */
export function pingIntervalArg(): number | undefined {
  const { values } = parseArgs({ options: { ping: { type: 'string' } }, strict: false });
  const ms = typeof values.ping === 'string' ? Number(values.ping) : undefined;
  if (ms !== undefined && !(ms > 0)) throw new Error(`--ping=${String(values.ping)} is not a positive number of ms`);
  return ms;
}

/** Says `ready` with the url of `port` on 127.0.0.1, then runs `close` and exits once stdin ends. */
export function serveUntilStdinEnds(port: number, close: () => Promise<void>): void {
  tellParent({ type: 'ready', url: `ws://127.0.0.1:${port}` });
  listenToParent(
    (message) => {
      if (message.type === 'usage') void usage(message.gc === true).then(tellParent, (error: unknown) => tellParent({ type: 'usage-failed', message: String(error) }));
    },
    () => {
      // A close that hangs (a client that never answers) must not keep the process: exit regardless after 2 s.
      setTimeout(() => process.exit(0), 2000).unref();
      close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    },
  );
}
