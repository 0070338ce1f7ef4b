import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { ROOT } from './paths';

// `multisocket-loadtest`, the BUILT dist/loadtest/cli.js (package.json's bin), run as a user would, against a reference
// server the test holds, which counts what it saw.

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
export const LOADTEST_CLI = join(ROOT, manifest.bin?.['multisocket-loadtest'] ?? 'no bin');

/** What a run printed and how it ended. */
export interface LoadRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command and resolves when it exits (at most `timeoutMs`, then it is killed). */
export function runLoadtest(args: readonly string[], timeoutMs = 60_000): Promise<LoadRun> {
  const child = spawn(process.execPath, [LOADTEST_CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** The same, for a run that ends at once (--help, a bad command line); `nodeArgs` go before the script. */
export function runLoadtestSync(args: readonly string[], nodeArgs: readonly string[] = []): LoadRun {
  const result = spawnSync(process.execPath, [...nodeArgs, LOADTEST_CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A reference server (chat and game) on 127.0.0.1 that counts the game inputs and the chat lines it received. */
export interface CountingServer {
  readonly server: ReferenceServer;
  readonly url: string;
  /** Game inputs received (each `game/input` PUSH). */
  inputs: number;
  /** Distinct chat lines received, by their `mid` (a say sent again after a reconnect is the same line). */
  readonly lines: Set<string>;
}

export async function startCountingServer(): Promise<CountingServer> {
  const server = createServer({ host: '127.0.0.1', port: 0 });
  installChat(server);
  installGame(server);
  const counting: CountingServer = { server, url: '', inputs: 0, lines: new Set() };
  server.on('game/input', () => void counting.inputs++);
  server.on<{ room: unknown; mid: string }>('chat/say', ({ room, mid }) => void counting.lines.add(`${String(room)}/${mid}`));
  const address = await server.listen();
  return Object.assign(counting, { url: `${address.url}/ws` });
}
