import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A real redis-server (Debian's package; `npm test` installs it: scripts/provision.js) for the scale-out tests and the fan-out benchmark: its
 * own temp dir and a free port on 127.0.0.1. By default an append-only file is synced on every write, so that a stop
 * and a start on the same port keep what was acknowledged, as a production Redis configured for durability does; the
 * benchmark turns that off so that it measures Redis's work and not the disk's.
 */

/** The redis-server binary: REDIS_SERVER, else the one on PATH; undefined when there is none. */
export function redisServerBinary(): string | undefined {
  const binary = process.env.REDIS_SERVER || 'redis-server';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? binary : undefined;
}

/** One redis-server that can be stopped and started again on the same port with the same data. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:port`. */
  readonly url: string;
  /** SIGTERM (Redis syncs its append-only file and exits); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the OS with port 0, then released for redis-server to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server on a free port of 127.0.0.1 in a fresh temp dir; `durable: false` writes nothing to disk; `args`
 * adds to its command line (`--cluster-enabled yes`, say; a relative file name there is in its temp dir).
 * @throws (rejects) when redis-server is not installed, or does not say it is ready within 10 s.
 */
export async function startRedisServer(options: { durable?: boolean; args?: readonly string[] } = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER)');
  const persistence = options.durable === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, ...(options.args ?? [])];
      const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      exited = new Promise((done) => proc.once('exit', () => done()));
      let output = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`redis-server was not ready within 10 s: ${output}`));
      }, 10_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (!output.includes('Ready to accept connections')) return;
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        // Keep draining its output so that it never blocks on a full pipe.
        proc.stdout?.resume();
        resolve();
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited before it was ready: ${output}`));
      });
    });

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
