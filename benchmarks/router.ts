/*
 * Router scaling: the cost of dispatching one message when 10 vs 10,000 unrelated subscriptions exist (exact and
 * wildcard alike). Both sizes run interleaved in one process, so the ratio is meaningful on a noisy machine.
 */
import { Router, type MessageMeta } from '../src/router';
import { systemClock } from '../src/clock';

export interface RouterResult {
  nsPerDispatchSmall: number;
  nsPerDispatchLarge: number;
  /** Large divided by small: 1 means matching cost does not grow with unrelated subscriptions. */
  ratio: number;
  rounds: number;
}

function buildRouter(unrelated: number): { router: Router; hits: { n: number } } {
  const router = new Router('bench', systemClock, () => undefined);
  for (let i = 0; i < unrelated; i++) {
    const kind = i % 3;
    if (kind === 0) router.subscribe(`other/${i}/message`, () => undefined);
    else if (kind === 1) router.subscribe(`zone/${i}/+`, () => undefined);
    else router.subscribe(`team/${i}/#`, () => undefined);
  }
  const hits = { n: 0 };
  router.subscribe('room/42/message', () => hits.n++);
  router.subscribe('room/+/message', () => hits.n++);
  router.subscribe('room/#', () => hits.n++);
  return { router, hits };
}

function timeDispatch(router: Router, iterations: number): number {
  const meta: MessageMeta = { topic: 'room/42/message', kind: 'push', channel: 'bench' };
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) router.dispatch('room/42/message', i, meta);
  return Number(process.hrtime.bigint() - start) / iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export function runRouterBenchmark(options: { rounds?: number; iterations?: number } = {}): RouterResult {
  const rounds = options.rounds ?? 7;
  const iterations = options.iterations ?? 200_000;
  const small = buildRouter(10);
  const large = buildRouter(10_000);
  timeDispatch(small.router, iterations / 4); // warm-up
  timeDispatch(large.router, iterations / 4);
  const s: number[] = [];
  const l: number[] = [];
  for (let r = 0; r < rounds; r++) {
    s.push(timeDispatch(small.router, iterations));
    l.push(timeDispatch(large.router, iterations));
  }
  if (small.hits.n === 0 || large.hits.n !== small.hits.n) throw new Error('router benchmark: subscribers were not all called');
  const nsPerDispatchSmall = median(s);
  const nsPerDispatchLarge = median(l);
  return { nsPerDispatchSmall, nsPerDispatchLarge, ratio: nsPerDispatchLarge / nsPerDispatchSmall, rounds };
}
