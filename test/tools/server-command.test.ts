import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { listSources, readStamp, staleness } from '../../scripts/built';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { hidingPackages } from '../support/hidden-packages';
import { ROOT } from '../support/paths';
import { ProtocolClient } from '../support/protocol-client';
import { type ServerProcess, spawnListening } from '../support/server-process';

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
    for (const option of ['--port', '--host', '--redis']) expect(result.stdout).toContain(option);
  });

  it.each([
    [['--bogus'], {}, /^multisocket server: Unknown option '--bogus'/],
    [['--port', 'abc'], {}, /^multisocket server: --port must be an integer 0–65535, got "abc"/],
    [['--port=70000'], {}, /^multisocket server: --port must be an integer 0–65535, got "70000"/],
    [[], { PORT: 'abc' }, /^multisocket server: PORT must be an integer 0–65535, got "abc"/],
    [['--redis'], {}, /^multisocket server: .*--redis/],
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
      expect(close.code).toBe(CloseCode.ServerRestart);
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
