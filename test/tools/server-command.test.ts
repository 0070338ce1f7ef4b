import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { listSources, readStamp, staleness } from '../../scripts/built';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { hidingPackages } from '../support/hidden-packages';
import { ROOT } from '../support/paths';
import { httpGet } from '../support/http-get';
import { ProtocolClient } from '../support/protocol-client';
import { makeCertificates } from '../support/tls-certs';
import { type ServerProcess, spawnListening } from '../support/server-process';
import { closeUpgrades, upgrade } from '../support/upgrade';

// `multisocket-server`, the package's bin: the BUILT dist/server/cli.js (npm test builds first), run as a user would.

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
const CLI = join(ROOT, manifest.bin?.['multisocket-server'] ?? 'no bin');

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []) {
  return spawnSync(process.execPath, [...nodeArgs, CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, PORT: '', ...env } });
}

describe('the multisocket-server command', () => {
  it('is package.json\'s bin, a node script', () => {
    expect(manifest.bin).toEqual({ 'multisocket-server': 'dist/server/cli.js', 'multisocket-loadtest': 'dist/loadtest/cli.js' });
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help prints the usage with every option and exits 0', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: multisocket-server /);
    for (const option of ['--port', '--host', '--redis', '--redis-cluster', 'REDIS_CLUSTER', '--trust-proxy', '--allow-origin', '--allow-appid', '--retry-ms', '--tls-cert', '--tls-key', '--tls-ca', '--admin-port', '--metrics', 'ADMIN_PORT']) expect(result.stdout).toContain(option);
  });

  it.each([
    [['--bogus'], {}, /^multisocket server: Unknown option '--bogus'/],
    [['--port', 'abc'], {}, /^multisocket server: --port must be an integer 0–65535, got "abc"/],
    [['--port=70000'], {}, /^multisocket server: --port must be an integer 0–65535, got "70000"/],
    [[], { PORT: 'abc' }, /^multisocket server: PORT must be an integer 0–65535, got "abc"/],
    [['--redis'], {}, /^multisocket server: .*--redis/],
    [['--trust-proxy', '127.0.0.1,localhost'], {}, /^multisocket server: option trustProxy is invalid: "localhost"/],
    [['--allow-origin', 'play.example.com'], {}, /^multisocket server: option allowedOrigins.origins is invalid: play.example.com/],
    [['--allow-appid', 'wx 1'], {}, /^multisocket server: option allowedOrigins.appIds is invalid: wx 1/],
    [['--retry-ms=-5'], {}, /^multisocket server: --retry-ms must be a whole number of ms, got "-5"/],
    [['--retry-ms', '1.5'], {}, /^multisocket server: --retry-ms must be a whole number of ms, got "1.5"/],
    [['--redis-cluster', '127.0.0.1'], {}, /^multisocket server: --redis-cluster needs host:port\[,host:port\.\.\.\], got "127\.0\.0\.1"/],
    [['--redis-cluster=a:1,b:70000'], {}, /^multisocket server: --redis-cluster needs host:port.*got "a:1,b:70000"/],
    [['--redis-cluster', 'a:1,,b:2'], {}, /^multisocket server: --redis-cluster needs host:port/],
    [[], { REDIS_CLUSTER: 'a:0' }, /^multisocket server: --redis-cluster needs host:port.*got "a:0"/],
    [['--redis', 'redis://a:1', '--redis-cluster', 'a:1'], {}, /^multisocket server: give --redis \(REDIS_URL\) or --redis-cluster \(REDIS_CLUSTER\), not both/],
    [['--tls-cert', 'cert.pem'], {}, /^multisocket server: --tls-cert and --tls-key go together \(got only --tls-cert\)/],
    [['--tls-cert', 'no-such.pem', '--tls-key', 'no-such.key'], {}, /^multisocket server: --tls-cert no-such.pem cannot be read: ENOENT/],
    [['--tls-ca', 'ca.pem'], {}, /^multisocket server: --tls-ca needs --tls-cert and --tls-key/],
    [['--admin-port', 'abc'], {}, /^multisocket server: --admin-port must be an integer 0–65535, got "abc"/],
    [[], { ADMIN_PORT: '99999' }, /^multisocket server: ADMIN_PORT must be an integer 0–65535, got "99999"/],
  ])('%j with %j prints one line and exits 2', (args, env, message) => {
    const result = run(args, env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('--redis without ioredis says to install it, in one line, and exits 1', () => {
    const result = run(['--redis', 'redis://127.0.0.1:1'], {}, hidingPackages(['ioredis']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('multisocket server: --redis needs the "ioredis" package, which is not installed: npm install ioredis\n');
    expect(result.stdout).toBe('');
  });

  it('--metrics without prom-client says to install it, in one line, and exits 1', () => {
    const result = run(['--port', '0', '--metrics'], {}, hidingPackages(['prom-client']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('multisocket server: --metrics needs the "prom-client" package, which is not installed: npm install prom-client\n');
  });

  it('--tls-cert, --tls-key, --admin-port and --metrics: wss:// for clients, health and metrics on the admin port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'multisocket-cli-tls-'));
    const certs = makeCertificates();
    writeFileSync(join(dir, 'cert.pem'), certs.cert);
    writeFileSync(join(dir, 'key.pem'), certs.key);
    const server = await spawnListening(
      [CLI, '--port', '0', '--host', '127.0.0.1', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--admin-port', '0', '--metrics'],
      { ...process.env, PORT: '', ADMIN_PORT: '' },
    );
    try {
      expect(server.url).toMatch(/^wss:\/\//);
      const adminPort = Number(/on admin port (\d+)/.exec(server.line)?.[1]);
      const client = await ProtocolClient.connect(`${server.url}/chat`, {}, { ca: certs.ca });
      await client.hello({ channel: 'chat' });
      await expect(httpGet(`http://127.0.0.1:${adminPort}/readyz`)).resolves.toMatchObject({ status: 200, body: 'ready\n' });
      const metrics = await httpGet(`http://127.0.0.1:${adminPort}/metrics`);
      expect(metrics.body).toMatch(/^multisocket_connections\{channel="chat"\} 1$/m);
      await client.close();
    } finally {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without ws says to install it, in one line, and exits 1', () => {
    const result = run(['--port', '0'], {}, hidingPackages(['ws']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('multisocket server: the server needs the "ws" package, which is not installed: npm install ws\n');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s: every client gets BYE 4000, then the process exits 0', async (signal) => {
    const server = await spawnListening([CLI, '--port', '0', '--host', '127.0.0.1'], process.env);
    const clients = await Promise.all([ProtocolClient.connect(`${server.url}/chat`), ProtocolClient.connect(`${server.url}/game`)]);
    await Promise.all(clients.map((client, i) => client.hello({ channel: i === 0 ? 'chat' : 'game' })));
    const byes = clients.map((client) => client.nextMatching((frame) => frame[0] === Op.Bye).then(async (bye) => ({ bye, close: await client.closed })));
    expect(await server.kill(signal)).toBe(0);
    for (const { bye, close } of await Promise.all(byes)) {
      expect(bye[1]).toBe(CloseCode.ServerRestart);
      expect(bye[3]).toBe(1_000); // the retry hint's default
      expect(close.code).toBe(CloseCode.ServerRestart);
    }
  });

  it('--retry-ms sets the retry hint of the BYE 4000 sent on SIGTERM', async () => {
    const server = await spawnListening([CLI, '--port', '0', '--retry-ms', '250'], process.env);
    const client = await ProtocolClient.connect(`${server.url}/chat`);
    await client.hello({ channel: 'chat' });
    const bye = client.nextMatching((frame) => frame[0] === Op.Bye);
    expect(await server.kill('SIGTERM')).toBe(0);
    expect(await bye).toEqual([Op.Bye, CloseCode.ServerRestart, 'server restarting', 250]);
  });

  it('--allow-appid and --allow-origin admit those pages only: anything else is refused with 403', async () => {
    const server = await spawnListening([CLI, '--port', '0', '--allow-appid', 'wx0123456789abcdef', '--allow-origin', 'https://a.example,https://b.example'], process.env);
    const upgrades = [
      await upgrade(`${server.url}/chat`, { Referer: 'https://servicewechat.com/wx0123456789abcdef/3/page-frame.html' }),
      await upgrade(`${server.url}/chat`, { Origin: 'https://b.example' }),
      await upgrade(`${server.url}/chat`, { Origin: 'https://c.example' }),
      await upgrade(`${server.url}/chat`),
    ];
    try {
      expect(upgrades.map((u) => u.status)).toEqual([101, 101, 403, 403]);
    } finally {
      await closeUpgrades(upgrades);
      await server.kill('SIGKILL');
    }
  });
});

// npm itself, as `npm run serve` is typed: the npm that runs this test, else the one installed beside node.
const NPM_CLI = process.env.npm_execpath?.endsWith('npm-cli.js')
  ? process.env.npm_execpath
  : join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm run serve', () => {
  // It would build first if dist/ were stale, under the other suites' feet: npm test builds before jest runs.
  beforeAll(() => expect(staleness(readStamp(ROOT), listSources(ROOT))).toBeUndefined());
  let started: ServerProcess | undefined;
  afterEach(() => started?.kill('SIGKILL'));

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to npm: clients get BYE 4000, the server exits 0 with npm, nothing is left listening', async (signal) => {
    const server = await spawnListening([NPM_CLI, 'run', 'serve', '--', '--port', '0'], { ...process.env, HOST: '127.0.0.1' });
    started = server;
    const client = await ProtocolClient.connect(`${server.url}/chat`);
    await client.hello({ channel: 'chat' });
    const bye = client.nextMatching((frame) => frame[0] === Op.Bye);
    expect(await server.kill(signal)).toBe(0);
    expect((await bye)[1]).toBe(CloseCode.ServerRestart);
    expect((await client.closed).code).toBe(CloseCode.ServerRestart);
    expect(await accepting(server.port)).toBe(false);
  });
});
