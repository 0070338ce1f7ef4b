import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

// The BUILT reference server (`npm run serve`'s entry, dist/, which `npm test` builds first): what ships is what runs.
const CLI = join(__dirname, '..', '..', 'dist', 'server', 'cli.js');

/** The reference server running in a child process, as `npm run serve` starts it (chat, game, echo). */
export interface ServerProcess {
  readonly port: number;
  /** `ws://127.0.0.1:port`. */
  readonly url: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Sends `signal` (SIGKILL: the process vanishes without a BYE; SIGTERM: it says BYE 4000) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/**
 * Starts `node dist/server/cli.js` with PORT=`port` (0: a free one) on 127.0.0.1 and resolves once it listens; `env`
 * adds to its environment (REDIS_URL, say).
 * @throws (rejects) if the process exits or prints no address within 10 s.
 */
export function startServerProcess(port = 0, env: Readonly<Record<string, string>> = {}): Promise<ServerProcess> {
  return spawnListening([CLI], { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' });
}

/**
 * Runs `node <args>` with `env` and resolves once it prints `listening on ws://127.0.0.1:<port>` (or `wss://`); `line` is the rest of
 * that line (a test server may say more there, e.g. its owner token).
 * @throws (rejects) if the process exits or prints no address within 10 s.
 */
export function spawnListening(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServerProcess & { line: string }> {
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  let output = '';
  let listening = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server process printed no address within 10 s: ${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    // Read to the end (a full pipe would block the child), but kept only until it listens: its log is not ours to hold.
    child.stderr?.on('data', (chunk: Buffer) => void (listening || (output += chunk.toString())));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (listening) return;
      output += chunk.toString();
      const match = /listening on (wss?):\/\/127\.0\.0\.1:(\d+)(.*)\n/.exec(output);
      if (!match) return;
      listening = true;
      output = '';
      clearTimeout(timer);
      const bound = Number(match[2]);
      resolve({
        port: bound,
        url: `${match[1]}://127.0.0.1:${bound}`,
        pid: child.pid as number,
        exited,
        line: match[3] ?? '',
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((how) => listening || fail(new Error(`server process exited (${String(how)}) before listening: ${output}`)));
  });
}
