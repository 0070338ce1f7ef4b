import { createServer } from '../../server/core/server';
import { createClusterClient } from '../../server/redis/client';
import { createRedisSessionStore } from '../../server/redis/session-store';

/*
 * The entry of a server process for the Redis session tests (started by test/support/session-process.ts): a reference
 * server on a Redis session store, nothing else, so that a test can SIGKILL a real process that holds sessions.
 * REDIS_URL (or REDIS_CLUSTER), REDIS_PREFIX, RESUME_WINDOW_MS and LIVENESS_TTL_MS come from the environment. Topics: `work` (applied,
 * nothing sent back) and `echo` (sent back as a RELIABLE).
 */

async function main(): Promise<void> {
  const env = process.env;
  // On a Cluster (REDIS_CLUSTER, host:port,...) the process's one client, never quit: the process is killed.
  const target = env.REDIS_CLUSTER ? { client: createClusterClient(env.REDIS_CLUSTER.split(',').map(hostPort)) } : { url: env.REDIS_URL ?? '' };
  const sessionStore = await createRedisSessionStore({
    ...target,
    prefix: env.REDIS_PREFIX || undefined,
    livenessTtlMs: env.LIVENESS_TTL_MS ? Number(env.LIVENESS_TTL_MS) : undefined,
  });
  const server = createServer({
    port: 0,
    sessionStore,
    resumeWindowMs: Number(env.RESUME_WINDOW_MS || 120_000),
    reliable: { ackEvery: 1, ackDelayMs: 0 },
  });
  server.on('work', () => undefined);
  server.on('echo', (payload, ctx) => void ctx.session.sendReliable('echo', payload));
  const { url } = await server.listen();
  process.stdout.write(`session node listening on ${url} owner ${sessionStore.owner}\n`);
}

function hostPort(node: string): { host: string; port: number } {
  const [host, port] = node.split(':');
  return { host: host ?? '', port: Number(port) };
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
