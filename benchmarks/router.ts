/*
 * Suite 6, router scaling: the cost of dispatching one message when 10 vs 10,000 unrelated subscriptions exist (exact
 * and wildcard alike), 3 of which match. Both sizes run interleaved in one process, so the ratio holds on a noisy
 * machine.
 */
import { systemClock } from '../src/time/clock';
import { type MessageMeta, Router } from '../src/routing/router';
import { atMost, median, rowOf } from './measure';
import type { Suite } from './types';

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

/** Nanoseconds per dispatch over `iterations` dispatches. */
function timeDispatch(router: Router, iterations: number): number {
  const meta: MessageMeta = { topic: 'room/42/message', kind: 'push', channel: 'bench' };
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) router.dispatch('room/42/message', i, meta);
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** The router suite: `ratios.routerScaling` is dispatch time with 10,000 subscriptions over that with 10. */
export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 5 : 9;
  const iterations = quick ? 50_000 : 200_000;
  const small = buildRouter(10);
  const large = buildRouter(10_000);
  timeDispatch(small.router, iterations / 4); // warm-up
  timeDispatch(large.router, iterations / 4);
  const s: number[] = [];
  const l: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which size goes first, so neither always runs right after a pause.
    if (r % 2 === 0) {
      s.push(timeDispatch(small.router, iterations));
      l.push(timeDispatch(large.router, iterations));
    } else {
      l.push(timeDispatch(large.router, iterations));
      s.push(timeDispatch(small.router, iterations));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (small.hits.n === 0 || large.hits.n !== small.hits.n) throw new Error('router benchmark: subscribers were not all called');
  const routerScaling = median(l.map((ns, r) => ns / (s[r] as number)));
  return {
    name: 'router',
    title: 'Router scaling: dispatch of one message (3 matching subscribers) among unrelated subscriptions',
    rows: [
      rowOf('10 unrelated subscriptions', s, 'ns/dispatch'),
      rowOf('10,000 unrelated subscriptions', l, 'ns/dispatch', `${routerScaling.toFixed(2)} x the 10-subscription time`),
    ],
    ratios: { routerScaling },
    goals: { routerScaling: atMost(routerScaling, 2) },
    rounds,
  };
};
