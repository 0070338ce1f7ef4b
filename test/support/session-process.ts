import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/*
 * A real server process holding sessions on Redis (test/support/session-node.ts), built from the current sources with
 * esbuild (so it needs no `npm run build` first), for the tests that SIGKILL the process that owns a session.
 */

const ROOT = join(__dirname, '..', '..');

/** A running session node. */
export interface SessionProcess {
  readonly port: number;
  /** Its session store's owner token (its liveness key is `ms:<prefix>:process:<owner>`). */
  readonly owner: string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Bundles and starts a session node with `env` (REDIS_URL, REDIS_PREFIX, RESUME_WINDOW_MS, LIVENESS_TTL_MS).
 * @throws (rejects) if it exits, or prints no address within 10 s.
 */
export function startSessionProcess(env: Readonly<Record<string, string>>): Promise<SessionProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-session-node-'));
  const entry = join(dir, 'session-node.js');
  buildSync({ entryPoints: [join(__dirname, 'session-node.ts')], outfile: entry, bundle: true, platform: 'node', external: ['ioredis', 'ws'], logLevel: 'silent' });
  const child: ChildProcess = spawn(process.execPath, [entry], {
    // The bundle lives outside the repository: its external packages are found through NODE_PATH.
    env: { ...process.env, ...env, NODE_PATH: join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`session node printed no address within 10 s: ${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on ws:\/\/127\.0\.0\.1:(\d+) owner (\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        port: Number(match[1]),
        owner: match[2] as string,
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then(() => fail(new Error(`session node exited before listening: ${output}`)));
  });
}
