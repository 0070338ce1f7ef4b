/*
 * A redis-server for the scale-out suite: its own temp dir, a free port on 127.0.0.1, no persistence (no RDB
 * snapshots, no append-only file), so that what is measured is the chat's work in Redis and not the disk's. The
 * tests' Redis (test/support/redis-server.ts) syncs an append-only file on every write instead, to check durability.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running redis-server. */
export interface RedisProcess {
  /** `redis://127.0.0.1:port`. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops it (SIGTERM, SIGKILL after 3 s) and removes its temp dir. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the OS with port 0, then released for redis-server to take). */
function freePort(): Promise<number> {
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
 * Starts redis-server (`REDIS_SERVER`, else the one on PATH).
 * @throws {Error} (as a rejection) when redis-server is not installed, or not ready within 10 s.
 */
export async function startRedisProcess(): Promise<RedisProcess> {
  const binary = process.env.REDIS_SERVER || 'redis-server';
  if (spawnSync(binary, ['--version'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(`the fanout suite needs redis-server, which is not installed (apt-get install redis-server, or set REDIS_SERVER); "${binary}" did not run`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server was not ready within 10 s: ${output}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (!output.includes('Ready to accept connections')) return;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining its output so that it never blocks on a full pipe.
        child.stdout?.resume();
        resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited before it was ready: ${output}`));
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, close };
}
