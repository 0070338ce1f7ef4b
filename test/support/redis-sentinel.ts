import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerBinary } from './redis-server';

/*
 * A real Redis Sentinel (Debian's redis-server in sentinel mode) on a free port of 127.0.0.1, watching one master:
 * what a client built with `new Redis({ sentinels, name })` asks for the master's address.
 */

/** A running Sentinel. */
export interface RedisSentinel {
  readonly port: number;
  /** The master's name it answers for. */
  readonly name: string;
  /** Stops it and removes its config. */
  close(): Promise<void>;
}

/**
 * Starts a Sentinel watching the master on `masterPort` (quorum 1) as `name` (default `mymaster`); resolves once it
 * says it monitors it.
 * @throws (rejects) when redis-server is not installed, or the Sentinel is not monitoring within 10 s.
 */
export async function startRedisSentinel(masterPort: number, name = 'mymaster'): Promise<RedisSentinel> {
  const binary = redisServerBinary();
  if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER)');
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-sentinel-'));
  const port = await freePort();
  // Sentinel rewrites its config file: it must be a file of its own.
  const config = join(dir, 'sentinel.conf');
  writeFileSync(config, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
  const proc = spawn(binary, [config, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const close = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis sentinel was not monitoring within 10 s: ${output}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (!output.includes(`+monitor master ${name}`)) return;
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        resolve();
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`redis sentinel exited: ${output}`));
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  // Keep draining its output so that it never blocks on a full pipe.
  proc.stdout.resume();
  return { port, name, close };
}
