import { Inbox } from '../../../src/channel/inbox';
import { decodeMessage, pushMessage } from '../../support/push-messages';
import { TurnClock } from '../../support/turn-clock';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the inbox: received frames handled for a bounded time per turn', () => {
  let clock: TurnClock;
  let handled: number[];
  /** Each frame takes `costMs` of the clock to handle. */
  const make = (turnMs: number, costMs = 1, onFrame: (n: number) => void = () => undefined) =>
    new Inbox(clock, turnMs, (frame) => {
      const n = frame[2] as number;
      handled.push(n);
      clock.time += costMs;
      onFrame(n);
    }, (data) => decodeMessage(data));

  beforeEach(() => {
    clock = new TurnClock();
    handled = [];
  });

  it('handles frames until turnMs has passed, then leaves the rest to the next turns, in order', () => {
    const inbox = make(3);
    inbox.addMessage(pushMessage(1, 10));
    expect(handled).toEqual([1, 2, 3]);
    expect([inbox.size, inbox.armed]).toEqual([7, true]);
    clock.turn();
    expect(handled).toEqual(range(1, 6));
    clock.turn();
    clock.turn();
    expect(handled).toEqual(range(1, 10));
    expect([inbox.size, inbox.armed, clock.pending]).toEqual([0, false, 0]);
  });

  it('a frame that takes longer than turnMs is still handled whole; the turn ends after it', () => {
    const inbox = make(1, 5);
    inbox.addMessage(pushMessage(1, 3));
    expect(handled).toEqual([1]);
    clock.turn();
    expect(handled).toEqual([1, 2]);
  });

  it('a message that arrives while frames wait queues behind them, never ahead', () => {
    const inbox = make(2);
    inbox.addMessage(pushMessage(1, 5));
    inbox.addMessage(pushMessage(6, 2));
    expect(handled).toEqual([1, 2]);
    for (let i = 0; i < 3; i++) clock.turn();
    expect(handled).toEqual(range(1, 7));
  });

  it('with Infinity handles everything at once and never arms a timer', () => {
    const inbox = make(Infinity);
    inbox.addMessage(pushMessage(1, 1000));
    expect(handled).toHaveLength(1000);
    expect([inbox.armed, clock.pending]).toEqual([false, 0]);
  });

  it('flush handles every waiting frame now; clear drops them and disarms', () => {
    const inbox = make(2);
    inbox.addMessage(pushMessage(1, 5));
    inbox.flush();
    expect(handled).toEqual(range(1, 5));
    expect(inbox.armed).toBe(false);
    inbox.addMessage(pushMessage(6, 5));
    inbox.clear();
    expect([inbox.size, inbox.armed, clock.pending]).toEqual([0, false, 0]);
    clock.turn();
    expect(handled).toEqual(range(1, 7));
  });

  it('a frame whose handler clears the inbox (the connection dropped) is the last one handled', () => {
    const ref: { inbox?: Inbox } = {};
    const inbox = (ref.inbox = make(Infinity, 0, (n) => n === 3 && ref.inbox?.clear()));
    inbox.addMessage(pushMessage(1, 6));
    expect(handled).toEqual([1, 2, 3]);
    inbox.addMessage(pushMessage(10, 1));
    expect(handled).toEqual([1, 2, 3, 10]);
  });

  it('a frame added from inside a handler waits behind the ones already queued', () => {
    const ref: { inbox?: Inbox } = {};
    const inbox = (ref.inbox = make(Infinity, 0, (n) => n === 1 && ref.inbox?.addMessage(pushMessage(99, 1))));
    inbox.addMessage(pushMessage(1, 3));
    expect(handled).toEqual([1, 2, 3, 99]);
  });
});
