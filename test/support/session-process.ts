import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { type ServerProcess, spawnListening } from './server-process';

/*
 * A real server process holding sessions on Redis (test/support/session-node.ts), built from the current sources with
 * esbuild (so it needs no `npm run build` first), for the tests that SIGKILL the process that owns a session.
 */

const ROOT = join(__dirname, '..', '..');

/** A running session node. */
export interface SessionProcess extends ServerProcess {
  /** Its session store's owner token (its liveness key is `ms:<prefix>:process:<owner>`). */
  readonly owner: string;
}

/**
 * Bundles and starts a session node with `env` (REDIS_URL or REDIS_CLUSTER, REDIS_PREFIX, RESUME_WINDOW_MS,
 * LIVENESS_TTL_MS).
 * @throws (rejects) if it exits, or prints no address within 10 s.
 */
export async function startSessionProcess(env: Readonly<Record<string, string>>): Promise<SessionProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-session-node-'));
  const entry = join(dir, 'session-node.js');
  buildSync({ entryPoints: [join(__dirname, 'session-node.ts')], outfile: entry, bundle: true, platform: 'node', external: ['ioredis', 'ws'], logLevel: 'silent' });
  try {
    // The bundle lives outside the repository: its external packages are found through NODE_PATH.
    const node = await spawnListening([entry], { ...process.env, ...env, NODE_PATH: join(ROOT, 'node_modules') });
    void node.exited.then(() => rmSync(dir, { recursive: true, force: true }));
    const owner = /owner (\S+)/.exec(node.line)?.[1];
    if (!owner) throw new Error(`session node named no owner: ${node.line}`);
    return { ...node, owner };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
