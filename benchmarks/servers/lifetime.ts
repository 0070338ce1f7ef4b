/*
 * How the echo suite's server processes live, on the benchmarks' one harness (../script-process): each says
 * `{type: 'ready', url}` once listening, and exits when its stdin closes (the parent closed it, or the parent died),
 * after closing its listener.
 */
import { parseArgs } from 'node:util';
import { listenToParent, tellParent } from '../script-process';

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
    () => undefined,
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
