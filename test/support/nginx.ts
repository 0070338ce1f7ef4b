import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths';
import { freePort } from './redis-server';

/*
 * Debian's nginx (`npm test` installs it: scripts/provision.js) in front of the test's servers, run from the
 * repository's deploy/nginx.conf as it is: only its listen address and its upstream's ports are replaced. It runs as
 * the current user in a temp dir of its own (pid, logs, temp paths), in the foreground, on a free port of 127.0.0.1.
 */

/** The deployment config the tests run and SCALING.md shows. */
export const DEPLOY_CONF = join(ROOT, 'deploy', 'nginx.conf');

/** The nginx binary: NGINX, else /usr/sbin/nginx; undefined when it does not run. */
export function nginxBinary(): string | undefined {
  const binary = process.env.NGINX || '/usr/sbin/nginx';
  return spawnSync(binary, ['-v']).status === 0 ? binary : undefined;
}

/** A running nginx. */
export interface Nginx {
  readonly port: number;
  /** `ws://127.0.0.1:port`. */
  readonly url: string;
  /** What nginx wrote to its error log so far. */
  errors(): string;
  /** Stops it (SIGTERM: open connections are closed) and removes its temp dir. */
  close(): Promise<void>;
}

/**
 * deploy/nginx.conf with the listen address `127.0.0.1:port` and one upstream server line per port of `upstreams`
 * (each keeping the parameters of the file's first line).
 * @throws when the file no longer has the shape this replaces (one `listen` line, an upstream of `server` lines).
 */
function deployConf(port: number, upstreams: readonly number[]): string {
  const conf = readFileSync(DEPLOY_CONF, 'utf8');
  const servers = [...conf.matchAll(/^(\s*)server 127\.0\.0\.1:\d+( [^;]*)?;\n/gm)];
  const listens = conf.match(/^\s*listen 80;$/gm) ?? [];
  const first = servers[0];
  if (!first || listens.length !== 1) throw new Error(`${DEPLOY_CONF}: expected one "listen 80;" and an upstream of "server 127.0.0.1:PORT ...;" lines`);
  const lines = upstreams.map((p) => `${first[1] ?? ''}server 127.0.0.1:${p}${first[2] ?? ''};\n`).join('');
  let replaced = conf.replace(/^\s*listen 80;$/m, `    listen 127.0.0.1:${port};`);
  replaced = replaced.replace(servers.map((m) => m[0]).join(''), lines);
  if (!replaced.includes(lines)) throw new Error(`${DEPLOY_CONF}: the upstream's server lines must be consecutive`);
  return replaced;
}

/**
 * Starts nginx with {@link deployConf} in front of `upstreams` and resolves once it listens (it writes its pid file
 * after opening its sockets).
 * @throws (rejects) when nginx is not installed, exits, or has not started within 10 s, with its error log.
 */
export async function startNginx(upstreams: readonly number[]): Promise<Nginx> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed (apt-get install nginx, or set NGINX)');
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-nginx-'));
  const port = await freePort();
  const log = join(dir, 'error.log');
  const pid = join(dir, 'nginx.pid');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`).join('\n');
  const main = `daemon off;
worker_processes 1;
pid ${pid};
error_log ${log} warn;
events { worker_connections 512; }
http {
  access_log off;
${temp}
${deployConf(port, upstreams)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), main);
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errors = () => stderr + (existsSync(log) ? readFileSync(log, 'utf8') : '');
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(dir, () => existsSync(pid) && done());
    const timer = setTimeout(() => done(new Error(`nginx did not start within 10 s: ${errors()}`)), 10_000);
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      watcher.close();
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve();
    };
    void exited.then(() => done(new Error(`nginx exited: ${errors()}`)));
    if (existsSync(pid)) done();
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    errors,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
