/*
 * Child processes of the end-to-end suites: servers that print their port and exit when their stdin closes, and
 * client processes driven over IPC. Every wait is bounded, and `stop` releases the process whatever state it is in.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ClientCommand, ClientReport, EchoKind, RoundResult } from './echo-kinds';

const START_TIMEOUT_MS = 15_000;

/** Extra Node flags for every child, e.g. `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"` to profile them. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

/** A running server process. */
export interface ServerProcess {
  readonly port: number;
  stop(): Promise<void>;
}

/** A running client process. */
export interface ClientProcess {
  round(window: number, burst: number, durationMs: number): Promise<RoundResult>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts `servers/<script>.js` and resolves with the port it printed. */
export function startServer(script: string, args: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, join(__dirname, 'servers', `${script}.js`), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = (): Promise<void> => {
    child.stdin?.end();
    return exited(child, 3_000);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server ${script} printed no port within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      void stop();
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`server ${script} exited with ${String(code)} before printing its port`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const port = Number(line.trim());
        if (!Number.isInteger(port) || port <= 0) fail(new Error(`server ${script} printed "${line}" instead of a port`));
        else resolve({ port, stop });
      }
    });
  });
}

/** Forks a client process of `kind` connected to `url`; resolves once it has checked one echo. */
export function startClient(kind: EchoKind, url: string): Promise<ClientProcess> {
  const child = fork(join(__dirname, 'clients', 'echo-client.js'), [kind, url], {
    execArgv: [...process.execArgv, ...NODE_ARGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending: { resolve: (result: RoundResult) => void; reject: (error: Error) => void } | undefined;
  let lost: Error | undefined;
  const settleLost = (error: Error): void => {
    lost ??= error;
    pending?.reject(lost);
    pending = undefined;
  };
  child.on('exit', (code) => settleLost(new Error(`${kind} client exited with ${String(code)}`)));
  child.on('message', (report: ClientReport) => {
    if (report.type === 'result') {
      pending?.resolve(report);
      pending = undefined;
    } else if (report.type === 'error') {
      settleLost(new Error(`${kind} client: ${report.message}`));
    }
  });
  const send = (command: ClientCommand): void => {
    if (child.connected) child.send(command);
  };
  const client: ClientProcess = {
    round: (window, burst, durationMs) => {
      if (lost) return Promise.reject(lost);
      return new Promise<RoundResult>((resolve, reject) => {
        const timer = setTimeout(() => settleLost(new Error(`${kind} client: round did not finish within ${durationMs + 20_000} ms`)), durationMs + 20_000);
        pending = {
          resolve: (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        send({ type: 'round', window, burst, durationMs });
      });
    },
    stop: () => {
      send({ type: 'stop' });
      return exited(child, 3_000);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      settleLost(new Error(`${kind} client not ready within ${START_TIMEOUT_MS} ms`));
      void client.stop();
      reject(lost);
    }, START_TIMEOUT_MS);
    const onReport = (report: ClientReport): void => {
      if (report.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onReport);
        resolve(client);
      } else if (report.type === 'error') {
        clearTimeout(timer);
        child.off('message', onReport);
        void client.stop();
        reject(new Error(`${kind} client: ${report.message}`));
      }
    };
    child.on('message', onReport);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} client exited with ${String(code)} before it was ready`));
    });
  });
}
