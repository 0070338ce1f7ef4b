import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createInterface } from 'readline';
import { ROOT } from './paths';
import { Changes, waitFor } from './wait';
import type { EmulatedSocketTask, WxEmulator } from './wx-emulator';

/*
 * A phone running on JavaScriptCore, the engine of WeChat on iOS: the `jsc` shell runs test/platforms/jsc/host.js (the
 * platform: timers, a `wx` whose SocketTasks live here), the one-file bundle, then a device script; every SocketTask
 * call crosses jsc's stdout to this process, which makes it on a wx emulator over real sockets, and every socket event
 * crosses back over jsc's stdin. host.js says why the loop is built the way it is.
 */

/** The jsc binary: `JSC`, else `jsc` on the PATH (`npm test` installs Debian's: scripts/provision.js). */
function jscBinary(): string {
  return process.env.JSC || 'jsc';
}

/** What the device script told the test. */
export interface Report {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Options of {@link startJscDevice}. */
export interface JscDeviceOptions {
  /** The bundle to load, as a mini-game's `require` would: wrapped in a function of `module` and `exports`. */
  readonly bundle: string;
  /**
   * The global the bundle defines, for a build that is a plain script (dist/multisocket.global.js): then it runs as
   * is, as an engine loads a plugin script, and the device script finds that global's value. Default: none.
   */
  readonly global?: string;
  /** The device script, run after the bundle (it finds the bundle's exports in `bundleModule.exports`). */
  readonly script: string;
  /** Makes the SocketTasks, over real sockets. */
  readonly emulator: WxEmulator;
  /** How long {@link JscDevice.until} waits by default, ms. Default 15,000. */
  readonly waitMs?: number;
}

/** A line from jsc: a SocketTask call, a wait, a report, or a throw into the platform. */
interface Line {
  op: string;
  id?: number;
  call?: number;
  ms?: number | null;
  url?: string;
  header?: Record<string, string>;
  protocols?: string[];
  timeout?: number;
  text?: string;
  binary?: string;
  invalid?: string;
  code?: number;
  reason?: string;
  value?: Report;
  error?: string;
}

/** Starts {@link JscDevice.story}, so that a message never gets it twice. */
const STORY_MARK = '--- the device:';

const HOST_SCRIPT = join(ROOT, 'test', 'platforms', 'jsc', 'host.js');

/** JSON in ASCII only: jsc's `readline()` reads Latin-1. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function exactArrayBuffer(bytes: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

/** One jsc process and its end of the bridge. */
export class JscDevice {
  /** Everything the device script reported, in order. */
  readonly reports: Report[] = [];
  /** What listeners threw into host.js (a correct runtime leaves this empty). */
  readonly uncaught: string[] = [];
  /** The SocketTasks made for the device, by the id host.js gave them. */
  readonly tasks = new Map<number, EmulatedSocketTask>();
  /** Resolves when jsc has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly changes = new Changes();
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr: string[] = [];
  /** jsc's stdout lines that are not the bridge's (an uncaught exception is printed there). */
  private readonly otherOutput: string[] = [];
  private tick: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: JscDeviceOptions,
    private readonly dir: string,
    bundleFile: string,
  ) {
    // No JIT, as on iOS, where WeChat's JavaScriptCore runs without one.
    this.child = spawn(jscBinary(), ['--useJIT=false', HOST_SCRIPT, bundleFile, options.script], { stdio: 'pipe' });
    this.child.stdin.on('error', (error) => this.stderr.push(`(stdin: ${error.message})`));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(chunk));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.receive(line));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.stderr.push(`(${jscBinary()}: ${error.message}; set JSC or install libjavascriptcoregtk-4.0-bin)`);
      });
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        if (this.tick) clearTimeout(this.tick);
        resolve(this.exit);
        this.changes.notify();
      });
    });
  }

  /** Sends the device script a command. */
  command(command: Record<string, unknown>): void {
    this.write({ op: 'command', command });
  }

  /** Resolves with the first report (already made or to come) that passes `test`. */
  untilReport(what: string, test: (report: Report) => boolean): Promise<Report> {
    return this.until(what, () => this.reports.find(test));
  }

  /**
   * Resolves with what `check` returns once it is not undefined, re-checked on each report; rejects when jsc exits or
   * after `waitMs`, with the device's story: its last reports, stdout and stderr.
   */
  async until<T>(what: string, check: () => T | undefined): Promise<T> {
    let found: T | undefined;
    const exited = await waitFor<boolean>(
      what,
      (done) => {
        const recheck = () => {
          found = check();
          if (found !== undefined) done(false);
          else if (this.exit) done(true);
        };
        const stop = this.changes.on(recheck);
        recheck();
        return stop;
      },
      { timeoutMs: this.options.waitMs ?? 15_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.story()}`);
    });
    if (exited || found === undefined) throw new Error(`jsc exited while the test waited for ${what}\n${this.story()}`);
    return found;
  }

  /**
   * Runs `scenario`; an error it throws (a failed expectation included) gets the device's story appended, so a failure
   * in the bundle reads as what jsc said, not only as the expectation it broke.
   */
  async tell<T>(scenario: () => Promise<T>): Promise<T> {
    try {
      return await scenario();
    } catch (error) {
      if (error instanceof Error && !error.message.includes(STORY_MARK)) error.message += `\n${this.story()}`;
      throw error;
    }
  }

  /** What happened on the device, for a failure message: exit status, last reports, other output, stderr. */
  story(): string {
    const exit = this.exit ? `exited with ${this.exit.code ?? this.exit.signal}` : 'still running';
    const last = this.reports.slice(-15).map((r) => `  ${JSON.stringify(r).slice(0, 300)}`);
    return [
      `${STORY_MARK} jsc ${exit}; its last ${last.length} of ${this.reports.length} reports:`,
      ...last,
      `jsc stdout besides the bridge: ${this.otherOutput.join('\n') || '(none)'}`,
      `jsc stderr: ${this.stderr.join('') || '(none)'}`,
      `thrown into the platform: ${this.uncaught.join('\n') || '(nothing)'}`,
    ].join('\n');
  }

  /** Ends jsc's input (its loop returns) and waits for it to exit; kills it if it has not within 5 s. */
  async close(): Promise<void> {
    if (!this.exit) {
      this.child.stdin.end();
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(kill);
    }
    if (this.tick) clearTimeout(this.tick);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(message: unknown): void {
    if (this.exit || !this.child.stdin.writable) return;
    this.child.stdin.write(`${asciiJson(message)}\n`);
  }

  private receive(text: string): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      this.otherOutput.push(text);
      return;
    }
    switch (line.op) {
      case 'wait':
        // jsc blocks in readline() until a line comes: a tick when its next timer is due, if nothing else comes first.
        if (this.tick) clearTimeout(this.tick);
        this.tick = line.ms === null || line.ms === undefined ? undefined : setTimeout(() => this.write({ op: 'tick' }), line.ms);
        return;
      case 'report':
        this.reports.push(line.value as Report);
        this.changes.notify();
        return;
      case 'uncaught':
        this.uncaught.push(line.error ?? '');
        this.changes.notify();
        return;
      case 'connect':
        return this.connect(line);
      case 'send':
        return this.send(line);
      case 'close':
        this.tasks.get(line.id as number)?.close({ code: line.code, reason: line.reason, ...this.callbacks(line.call) });
        return;
      default:
        this.otherOutput.push(text);
    }
  }

  /** success / fail / complete that answer call `id` of host.js, when it passed any. */
  private callbacks(id: number | undefined) {
    if (id === undefined) return {};
    const answer = (kind: string) => (result: unknown) => this.write({ op: 'callback', call: id, kind, result });
    return { success: answer('success'), fail: answer('fail'), complete: answer('complete') };
  }

  private connect(line: Line): void {
    const id = line.id as number;
    const task = this.options.emulator.connectSocket({
      url: line.url as string,
      header: line.header,
      protocols: line.protocols,
      timeout: line.timeout,
      ...this.callbacks(line.call),
    });
    this.tasks.set(id, task);
    const event = (kind: string) => (result: unknown) => this.write({ op: 'event', id, kind, result });
    task.onOpen(event('open'));
    task.onError(event('error'));
    task.onClose(event('close'));
    task.onMessage(({ data }) => {
      const message = typeof data === 'string' ? { text: data } : { binary: Buffer.from(data).toString('base64') };
      this.write({ op: 'event', id, kind: 'message', ...message });
    });
  }

  private send(line: Line): void {
    const task = this.tasks.get(line.id as number);
    if (!task) return;
    let data: string | ArrayBuffer;
    if (line.text !== undefined) data = line.text;
    else if (line.binary !== undefined) data = exactArrayBuffer(Buffer.from(line.binary, 'base64'));
    // What the device sent was neither: hand the platform a view, which it refuses as a device does.
    else data = new Uint8Array(1) as unknown as ArrayBuffer;
    task.send({ data, ...this.callbacks(line.call) });
  }
}

/**
 * Starts jsc with host.js, `bundle`, then `script`. The bundle is wrapped as a CommonJS module (what it sees is a
 * function of `module` and `exports`, no `require`, no `globalThis`), or, given `global`, run as a plain script.
 */
export function startJscDevice(options: JscDeviceOptions): JscDevice {
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-jsc-'));
  const bundleFile = join(dir, 'bundle.js');
  const code = readFileSync(options.bundle, 'utf8');
  writeFileSync(
    bundleFile,
    options.global
      ? `${code}\nvar bundleModule = { exports: ${options.global} };\n`
      : `var bundleModule = { exports: {} };\n(function (module, exports) {\n${code}\n})(bundleModule, bundleModule.exports);\n`,
  );
  return new JscDevice(options, dir, bundleFile);
}
