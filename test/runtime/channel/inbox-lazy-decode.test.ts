import type { WireData } from '../../../src/wire/codec';
import { Inbox } from '../../../src/channel/inbox';
import { decodeMessage, pushMessage } from '../../support/push-messages';
import { TurnClock } from '../../support/turn-clock';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the inbox: messages that arrive while frames wait are decoded by the turn that reaches them', () => {
  let clock: TurnClock;
  let handled: number[];
  let decoded: number;
  const make = (turnMs: number, decodeMs = 0) =>
    new Inbox(
      clock,
      turnMs,
      (frame) => {
        handled.push(frame[2] as number);
        clock.time += 1;
      },
      (data: WireData) => {
        decoded++;
        clock.time += decodeMs;
        try {
          return decodeMessage(data);
        } catch {
          return undefined;
        }
      },
    );

  beforeEach(() => {
    clock = new TurnClock();
    handled = [];
    decoded = 0;
  });

  it('decodes a message at once when nothing waits', () => {
    const inbox = make(Infinity);
    inbox.addMessage(pushMessage(1, 3));
    expect([decoded, handled]).toEqual([1, [1, 2, 3]]);
    expect(inbox.size).toBe(0);
  });

  it('leaves messages that arrive behind waiting frames undecoded until a turn reaches them, in order', () => {
    const inbox = make(2);
    inbox.addMessage(pushMessage(1, 5));
    expect([decoded, handled]).toEqual([1, [1, 2]]);
    // A burst read back to back: none of it is decoded on arrival, so the thread is free for other sockets.
    inbox.addMessage(pushMessage(6, 5));
    inbox.addMessage(pushMessage(11, 5));
    expect(decoded).toBe(1);
    expect(inbox.size).toBe(5); // three frames of the first message, two messages
    for (let i = 0; i < 10 && inbox.armed; i++) clock.turn();
    expect(handled).toEqual(range(1, 15));
    expect([decoded, inbox.size, inbox.armed]).toEqual([3, 0, false]);
  });

  it('counts decoding against the turn budget', () => {
    const inbox = make(3, 5);
    inbox.addMessage(pushMessage(1, 2));
    // The decode alone (5 ms) used the 3 ms turn: the frames wait for the next turn.
    expect([decoded, handled, inbox.armed]).toEqual([1, [], true]);
    clock.turn();
    expect(handled).toEqual([1, 2]);
  });

  it('skips a message that cannot be decoded and goes on with the next', () => {
    const inbox = make(1);
    inbox.addMessage(pushMessage(1, 2));
    inbox.addMessage(new Uint8Array([0xc1]).buffer);
    inbox.addMessage(pushMessage(3, 1));
    for (let i = 0; i < 10 && inbox.armed; i++) clock.turn();
    expect(handled).toEqual([1, 2, 3]);
    expect(decoded).toBe(3);
  });

  it('flush decodes and handles everything now; clear drops undecoded messages too', () => {
    const inbox = make(1);
    inbox.addMessage(pushMessage(1, 3));
    inbox.addMessage(pushMessage(4, 3));
    inbox.flush();
    expect(handled).toEqual(range(1, 6));
    inbox.addMessage(pushMessage(7, 3));
    inbox.addMessage(pushMessage(10, 3));
    inbox.clear();
    expect([inbox.size, inbox.armed]).toEqual([0, false]);
    clock.turn();
    expect(handled).toEqual(range(1, 7));
    expect(decoded).toBe(3);
  });
});
