/*
 * Instruments for the game-under-chat-load client: where a game message's latency goes. A game message waits for the
 * server to send it, crosses 127.0.0.1, waits in the kernel while the client's one thread does something else (or
 * while the client process waits for a core), then the runtime decodes and dispatches it. The probes here record the
 * client thread's busy stretches by cause (chat socket reads including the `ws` parse, chat timer turns, GC) and the
 * main thread's run-queue delay from `/proc/self/schedstat` (Linux), so that the wait between the server's send and
 * the game socket's read can be split into "behind chat work on this thread" and "not running at all".
 */
import { readFileSync } from 'fs';
import { PerformanceObserver, performance } from 'perf_hooks';
import type { Socket } from 'net';
import WebSocket from 'ws';
import type { WebSocketLikeCtor } from '../../src/transport/websocket';
import { preciseNow } from '../script-process';

/**
 * Stretches of time with one cause, added in time order and not overlapping each other, each with the share of it the
 * thread spent on a core (1 when not known), so that a stretch the OS preempted can be counted as CPU time only.
 */
export class Intervals {
  private starts: number[] = [];
  private ends: number[] = [];
  private shares: number[] = [];

  add(start: number, end: number, onCpu = 1): void {
    this.starts.push(start);
    this.ends.push(end);
    this.shares.push(Math.min(1, Math.max(0, onCpu)));
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
    this.shares = [];
  }

  /** How much of [from, to] the stretches cover, ms; with `cpu`, only the time they spent on a core. */
  overlap(from: number, to: number, cpu = false): number {
    let sum = 0;
    // Newest first: a game message's window is a few ms, so the scan stops after the stretches that precede it.
    for (let i = this.starts.length - 1; i >= 0; i--) {
      const start = this.starts[i] as number;
      const end = this.ends[i] as number;
      if (end < from - 1000) break;
      if (start >= to || end <= from) continue;
      sum += (Math.min(end, to) - Math.max(start, from)) * (cpu ? (this.shares[i] as number) : 1);
    }
    return sum;
  }
}

/**
 * The main thread's cumulative run-queue delay (time runnable but not on a core), ms, read from `/proc/self/schedstat`
 * (the thread-group leader, i.e. the JavaScript thread); NaN where that file does not exist.
 */
function readSchedstat(): { cpu: number; delay: number } {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').split(' ');
    return { cpu: Number(fields[0]) / 1e6, delay: Number(fields[1]) / 1e6 };
  } catch {
    return { cpu: NaN, delay: NaN };
  }
}

/** Readings of the run-queue delay at known times, to tell how much of a window the thread spent waiting for a core. */
export class RunDelay {
  private times: number[] = [];
  private values: number[] = [];

  /** Takes a reading now (about 10 us); returns the thread's CPU time so far, ms. */
  read(at = preciseNow()): number {
    const { cpu, delay } = readSchedstat();
    this.times.push(at);
    this.values.push(delay);
    return cpu;
  }

  clear(): void {
    this.times = [];
    this.values = [];
  }

  /**
   * Run-queue delay between the last reading at or before `from` and the last at or before `to`: an upper bound on
   * the delay within [from, to] (the first reading may precede `from`).
   */
  within(from: number, to: number): number {
    return this.at(to) - this.at(from);
  }

  private at(t: number): number {
    let lo = 0;
    let hi = this.times.length - 1;
    if (hi < 0 || (this.times[0] as number) > t) return NaN;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.times[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.values[lo] as number;
  }
}

/** Garbage collections in this process, as stretches of wall time. */
export function observeGc(into: Intervals): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const start = performance.timeOrigin + entry.startTime;
      into.add(start, start + entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
}

/** What a raw socket read (one `data` event: the `ws` parse plus every message callback it makes) reports. */
export interface ReadHooks {
  /** Before `ws` sees the bytes. */
  start(at: number): void;
  /** After `ws` and the runtime have handled them. */
  end(start: number, at: number): void;
}

/**
 * The `ws` WebSocket with its TCP socket's reads timed: a listener before and one after the one `ws` adds, which
 * parses the frames and emits every `message` synchronously (`allowSynchronousEvents`, the default). Reaches into
 * `ws`'s private `_socket`, which is fine for a benchmark and nothing else.
 */
export function timedWebSocket(hooks: ReadHooks): WebSocketLikeCtor {
  return class TimedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.once('open', () => {
        const raw = (this as unknown as { _socket: Socket })._socket;
        let start = 0;
        raw.prependListener('data', () => {
          start = preciseNow();
          hooks.start(start);
        });
        raw.on('data', () => hooks.end(start, preciseNow()));
      });
    }
  };
}
