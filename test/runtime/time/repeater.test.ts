import { Repeater } from '../../../src/time/repeater';
import { ManualClock } from '../../support/manual-clock';

/** A started repeater with a period of 100 ms on a manual clock, recording when (since the start) it calls. */
function startedEvery100Ms() {
  const clock = new ManualClock();
  const start = clock.now();
  const calls: number[] = [];
  const repeater = new Repeater(clock, 100, () => calls.push(clock.now() - start));
  repeater.start();
  return { clock, calls, repeater };
}

describe('Repeater', () => {
  it('calls once a period, on a schedule of absolute times, until stopped', () => {
    const { clock, calls, repeater } = startedEvery100Ms();
    repeater.start();
    clock.advance(350);
    expect(calls).toEqual([100, 200, 300]);
    repeater.stop();
    expect(repeater.running).toBe(false);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(calls).toEqual([100, 200, 300]);
  });

  it('a late timer runs once and keeps to the schedule rather than bursting the periods it missed', () => {
    const { clock, calls } = startedEvery100Ms();
    clock.jump(450);
    clock.tick();
    expect(calls).toEqual([450]);
    clock.advance(100);
    expect(calls).toEqual([450, 550]);
  });

  it('a call that stops the repeater leaves no timer armed', () => {
    const clock = new ManualClock();
    const repeater: Repeater = new Repeater(clock, 10, () => repeater.stop());
    repeater.start();
    clock.advance(10);
    expect(repeater.running).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
