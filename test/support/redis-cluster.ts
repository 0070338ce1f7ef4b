import { execFile } from 'node:child_process';
import { setTimeout as pause } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { clusterClientOptions } from '../../server/redis/client';
import { freePort, type RedisServer, startRedisServer } from './redis-server';

/*
 * A real Redis Cluster of three masters (no replicas) from Debian's redis-server, on free ports of 127.0.0.1: each
 * node in its own temp dir with its own cluster config file and an explicit bus port (the default, port + 10,000, may
 * be taken or past 65,535), joined by `redis-cli --cluster create`, then polled (CLUSTER INFO on every node) until
 * every node says `cluster_state:ok` and knows the others.
 */

const run = promisify(execFile);

/** A running cluster. */
export interface RedisCluster {
  /** The masters, in the order their ports were given to `redis-cli --cluster create`. */
  readonly nodes: readonly RedisServer[];
  /** `host:port` of every master, comma-separated: what `--redis-cluster` takes. */
  readonly spec: string;
  /** A new `Cluster` client on these nodes with `clusterClientOptions` (the caller quits it). */
  client(): Cluster;
  /** Stops every node and removes their data. */
  close(): Promise<void>;
}

/** The redis-cli binary: REDIS_CLI, else the one on PATH. */
function redisCli(): string {
  return process.env.REDIS_CLI || 'redis-cli';
}

/**
 * Starts a cluster of `masters` nodes (default 3), ready within `timeoutMs` (default 20,000) or torn down.
 * @throws (rejects) when redis-server or redis-cli is missing, or the cluster is not `ok` in time.
 */
export async function startRedisCluster(masters = 3, timeoutMs = 20_000): Promise<RedisCluster> {
  const deadline = Date.now() + timeoutMs;
  const nodes: RedisServer[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const bus = await freePort();
      nodes.push(await startRedisServer({ durable: false, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(bus)] }));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(redisCli(), ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: Math.max(1, deadline - Date.now()) }).catch((error: unknown) => {
      // Duck-typed: under jest, Node's own errors come from another realm than the test's Error.
      const missing = (error as { code?: unknown } | undefined)?.code === 'ENOENT';
      throw missing ? new Error('redis-cli is not installed (Debian: redis-tools, which redis-server depends on; or set REDIS_CLI)') : error;
    });
    await untilOk(nodes, deadline);
    return {
      nodes,
      spec: addresses.join(','),
      client: () => new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), clusterClientOptions),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Polls CLUSTER INFO on every node until each says `cluster_state:ok` and knows them all; rejects past `deadline`. */
async function untilOk(nodes: readonly RedisServer[], deadline: number): Promise<void> {
  const probes = nodes.map((node) => new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 0, disconnectTimeout: 50 }));
  let last = '';
  try {
    for (;;) {
      const infos = await Promise.all(probes.map((probe) => probe.cluster('INFO')));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${nodes.length}`))) return;
      last = infos.join('\n');
      if (Date.now() > deadline) throw new Error(`the redis cluster is not ok in time:\n${last}`);
      // Gossip between the nodes has no event to wait for: ask again shortly.
      await pause(50);
    }
  } finally {
    await Promise.all(probes.map((probe) => probe.quit().catch(() => probe.disconnect())));
  }
}
