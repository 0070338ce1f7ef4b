/*
 * The one harness of the benchmarks' child processes: every suite that runs servers or clients apart (echo, game under
 * chat load, memory, reconnect storm, fanout) starts them here. A child is a compiled script next to this file
 * (dist/benchmarks/...); it talks in JSON lines: what it prints on stdout is a message to the parent, what the parent
 * writes to its stdin is a message to it. A child exits when its stdin closes, so a parent that dies never leaves one
 * behind; every wait for a message is bounded.
 */
import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { createInterface } from 'readline';

/** Extra Node flags for every child, e.g. `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"` to profile them. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

/** A message either way: a JSON object with a `type`. */
export interface ScriptMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A running child script. */
export interface ScriptProcess {
  /** Resolves with the next message of `type` (messages of other types that arrive meanwhile are kept for later). */
  next<T extends ScriptMessage = ScriptMessage>(type: string, timeoutMs: number): Promise<T>;
  send(message: ScriptMessage): void;
  /** Closes its stdin (it exits on its own), then kills it if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Kills it at once (SIGKILL): every socket it held drops without a close frame. */
  kill(): Promise<void>;
  readonly pid: number | undefined;
}

/** How a child is started beyond its arguments. */
interface ScriptOptions {
  /**
   * Open files (sockets) the child may hold: its soft limit is raised to this before Node starts (`ulimit -n` in a
   * POSIX shell; past the hard limit only root may go, otherwise the child gets the hard limit). Default: inherited.
   */
  readonly openFiles?: number;
}

/**
 * Starts `dist/benchmarks/<script>.js` with `args` (and `execArgv`, e.g. `--expose-gc`, then BENCH_NODE_ARGS).
 * @throws {Error} when the script has not been built (`npm run build`).
 */
export function startScript(script: string, args: readonly string[] = [], execArgv: readonly string[] = [], options: ScriptOptions = {}): ScriptProcess {
  const file = join(__dirname, `${script}.js`);
  if (!existsSync(file)) throw new Error(`benchmark script ${file} is missing: run \`npm run build\` first`);
  const argv = [process.execPath, ...execArgv, ...NODE_ARGS, file, ...args];
  const raised = options.openFiles === undefined ? argv : ['/bin/sh', '-c', `ulimit -n ${options.openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`, 'sh', ...argv];
  const child = spawn(raised[0] as string, raised.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const queued: ScriptMessage[] = [];
  const waiters: { type: string; resolve: (m: ScriptMessage) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const fail = (why: string) => {
    exited ??= why;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${script}: ${why}${stderr ? `\n${stderr.slice(-2000)}` : ''}`));
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  child.stdin.on('error', () => undefined); // a child that already exited: its exit is reported instead
  child.on('error', (error) => fail(`could not run: ${error.message}`));
  child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: ScriptMessage;
    try {
      message = JSON.parse(line) as ScriptMessage;
    } catch {
      return; // not a message (a stray log line)
    }
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(message);
    else queued.push(message);
  });

  return {
    pid: child.pid,
    next<T extends ScriptMessage>(type: string, timeoutMs: number): Promise<T> {
      const index = queued.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(queued.splice(index, 1)[0] as T);
      if (exited) return Promise.reject(new Error(`${script}: ${exited}${stderr ? `\n${stderr.slice(-2000)}` : ''}`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`${script}: no "${type}" message within ${timeoutMs} ms${stderr ? `\n${stderr.slice(-2000)}` : ''}`));
        }, timeoutMs);
        const waiter = {
          type,
          resolve: (m: ScriptMessage) => {
            clearTimeout(timer);
            resolve(m as T);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
      });
    },
    send(message) {
      if (!exited) child.stdin.write(`${JSON.stringify(message)}\n`);
    },
    async stop(graceMs = 3000) {
      if (exited) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/** In a child: sends one message to the parent. */
export function tellParent(message: ScriptMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * In a child: calls `onMessage` for each message from the parent, and `onEnd` (default: exit) when the parent closes
 * stdin or goes away.
 */
export function listenToParent(onMessage: (message: ScriptMessage) => void, onEnd: () => void = () => process.exit(0)): void {
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      try {
        onMessage(JSON.parse(line) as ScriptMessage);
      } catch (error) {
        process.stderr.write(`bad message from the parent: ${String(error)}\n`);
      }
    })
    .on('close', onEnd);
}

/**
 * In a child: says `ready`, then answers each message of `type` (of shape `T`) with what `handle` resolves to, one at a
 * time as they come; a failure ends the process with code 1 (the parent sees the exit and the stderr). `onEnd` runs
 * (then the process exits) when the parent closes stdin or goes away.
 */
export function answerParent<T extends ScriptMessage>(label: string, type: T['type'], handle: (message: T) => Promise<ScriptMessage>, onEnd: () => void | Promise<void>): void {
  tellParent({ type: 'ready' });
  listenToParent(
    (message) => {
      if (message.type !== type) return;
      // The parent sends only messages of the shape it declared for this type (as `next<T>` trusts the child).
      handle(message as T).then(tellParent, (error: unknown) => {
        process.stderr.write(`${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      });
    },
    () => {
      void Promise.resolve()
        .then(onEnd)
        .finally(() => process.exit(0));
    },
  );
}

/**
 * Wall-clock time in ms with sub-millisecond resolution, comparable between processes on one machine
 * (`performance.timeOrigin` is the wall clock at process start, read at microsecond precision).
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** In a child: reports an uncaught failure to the parent (on stderr) and exits non-zero. */
export function failOnError(label: string): void {
  const die = (error: unknown) => {
    process.stderr.write(`${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

/** Resolves after `ms` of real time (children pace their rounds with it; nothing waits on it for an event). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
