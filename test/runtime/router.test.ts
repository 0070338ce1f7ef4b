import { Router, type MessageMeta } from '../../src/routing/router';
import { DisconnectedError, SubscriberError, TimeoutError, UsageError } from '../../src/errors';
import { ManualClock } from '../support/manual-clock';

function setup() {
  const clock = new ManualClock();
  const errors: SubscriberError[] = [];
  const router = new Router('chat', clock, (e) => errors.push(e));
  const meta = (topic: string): MessageMeta => ({ topic, kind: 'push', channel: 'chat' });
  return { clock, errors, router, meta };
}

describe('Router', () => {
  it('delivers to exact, + and # subscribers with the concrete topic in meta', () => {
    const { router, meta } = setup();
    const got: string[] = [];
    router.subscribe('room/42/message', (_p, m) => got.push(`exact ${m.topic}`));
    router.subscribe('room/+/message', (_p, m) => got.push(`plus ${m.topic}`));
    router.subscribe('room/#', (_p, m) => got.push(`hash ${m.topic}`));
    router.subscribe('lobby/#', () => got.push('never'));
    expect(router.dispatch('room/42/message', 'hi', meta('room/42/message'))).toBe(3);
    expect(got).toEqual(['exact room/42/message', 'plus room/42/message', 'hash room/42/message']);
  });

  it('unsubscribe stops delivery, and is idempotent', () => {
    const { router, meta } = setup();
    const got: unknown[] = [];
    const undo = router.subscribe('t', (p) => got.push(p));
    router.dispatch('t', 1, meta('t'));
    undo();
    undo();
    router.dispatch('t', 2, meta('t'));
    expect(got).toEqual([1]);
    expect(router.size).toBe(0);
  });

  it('once delivers one message only', () => {
    const { router, meta } = setup();
    const got: unknown[] = [];
    router.once('t', (p) => got.push(p));
    router.dispatch('t', 1, meta('t'));
    router.dispatch('t', 2, meta('t'));
    expect(got).toEqual([1]);
  });

  it('a subscriber that throws does not stop the others and is reported', () => {
    const { router, errors, meta } = setup();
    const got: string[] = [];
    router.subscribe('t', () => got.push('first'));
    router.subscribe('t', () => {
      throw new Error('boom');
    });
    router.subscribe('t', () => got.push('third'));
    router.dispatch('t', null, meta('t'));
    expect(got).toEqual(['first', 'third']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SubscriberError);
    expect(errors[0]?.message).toContain('boom');
  });

  it('a subscriber whose Promise rejects is reported too', async () => {
    const { router, errors, meta } = setup();
    router.subscribe('t', async () => {
      throw new Error('async boom');
    });
    router.dispatch('t', null, meta('t'));
    await Promise.resolve();
    await Promise.resolve();
    expect(errors.map((e) => e.message)).toEqual(['a subscriber of "t" failed: async boom']);
  });

  it('unsubscribing from inside a handler is safe', () => {
    const { router, meta } = setup();
    const got: string[] = [];
    const undoB = router.subscribe('t', () => got.push('b'));
    router.subscribe('t', () => {
      got.push('a');
      undoB();
    });
    router.dispatch('t', null, meta('t'));
    router.dispatch('t', null, meta('t'));
    expect(got).toEqual(['b', 'a', 'a']);
  });

  it('waitFor resolves with the next matching payload that passes the filter', async () => {
    const { router, meta } = setup();
    const wait = router.waitFor<number>('score/+', { filter: (p) => p > 10 });
    router.dispatch('score/a', 5, meta('score/a'));
    router.dispatch('score/b', 12, meta('score/b'));
    await expect(wait).resolves.toBe(12);
    expect(router.size).toBe(0);
  });

  it('waitFor rejects with TimeoutError at its deadline and leaves nothing behind', async () => {
    const { router, clock } = setup();
    const wait = router.waitFor('never', { timeoutMs: 1000 });
    clock.advance(1000);
    await expect(wait).rejects.toBeInstanceOf(TimeoutError);
    expect(router.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('close rejects pending waits with DisconnectedError and drops every subscription', async () => {
    const { router, clock } = setup();
    router.subscribe('a', () => undefined);
    const wait = router.waitFor('b', { timeoutMs: 5000 });
    router.close();
    await expect(wait).rejects.toBeInstanceOf(DisconnectedError);
    expect(router.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('the first matching subscriber answers a request; the others observe', () => {
    const { router } = setup();
    const seen: string[] = [];
    router.subscribe('room/join', () => 'joined');
    router.subscribe('room/#', () => {
      seen.push('logger');
      return 'ignored';
    });
    const outcome = router.dispatchRequest('room/join', { room: 1 }, { topic: 'room/join', kind: 'request', channel: 'chat' });
    expect(outcome).toEqual({ handled: true, result: 'joined' });
    expect(seen).toEqual(['logger']);
    expect(router.dispatchRequest('nobody', null, { topic: 'nobody', kind: 'request', channel: 'chat' })).toEqual({ handled: false });
  });

  it('refuses a subscriber that is not a function, naming the pattern', () => {
    const { router } = setup();
    expect(() => router.subscribe('t', 'nope' as never)).toThrow(UsageError);
  });
});
