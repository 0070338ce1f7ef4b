import { Batcher, type EndOfTurn } from '../../../src/wire/batcher';
import { ManualClock } from '../../support/manual-clock';

/** An end of turn the test runs by hand, counting what is scheduled. */
function manualTurn(): { endOfTurn: EndOfTurn; scheduled: () => number; run: () => void } {
  let queue: (() => void)[] = [];
  return {
    endOfTurn: (run) => {
      queue.push(run);
      return () => (queue = queue.filter((r) => r !== run));
    },
    scheduled: () => queue.length,
    run: () => {
      const due = queue;
      queue = [];
      for (const run of due) run();
    },
  };
}

const frame = (n: number, fill = n) => new Uint8Array(n).fill(fill);

describe('Batcher', () => {
  it('sends the frames of one turn as one message, at the injected end of the turn', () => {
    const turn = manualTurn();
    const sent: number[][] = [];
    const batcher = new Batcher(new ManualClock(), 1000, 100, 0, (data) => sent.push([...new Uint8Array(data)]), { endOfTurn: turn.endOfTurn });
    batcher.add(frame(2));
    batcher.add(frame(3));
    expect(turn.scheduled()).toBe(1);
    expect(sent).toEqual([]);
    turn.run();
    expect(sent).toEqual([[2, 2, 3, 3, 3]]);
    expect(batcher.armed).toBe(false);
  });

  it('splits a burst at maxBatchBytes, and discard cancels the end of the turn and reports lost topics', () => {
    const turn = manualTurn();
    const sizes: number[] = [];
    const batcher = new Batcher(new ManualClock(), 1000, 10, 0, (data) => sizes.push(data.byteLength), { endOfTurn: turn.endOfTurn });
    batcher.add(frame(6), 'a');
    batcher.add(frame(6), 'b');
    expect(sizes).toEqual([6]);
    expect(batcher.discard()).toEqual(['b']);
    expect(turn.scheduled()).toBe(0);
    expect(batcher.armed).toBe(false);
    turn.run();
    expect(sizes).toEqual([6]);
  });
});
