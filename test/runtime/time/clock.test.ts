import { MAX_TIMER_DELAY_MS } from '../../../src/time/clock';
import { Timer } from '../../../src/time/timer';
import { ManualClock } from '../../support/manual-clock';

describe('Timer', () => {
  it('Infinity means never: nothing is scheduled', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new Timer(clock, () => fired++);
    timer.schedule(Infinity);
    expect(timer.armed).toBe(false);
    expect(clock.pending).toBe(0);
    clock.advance(10 * MAX_TIMER_DELAY_MS);
    expect(fired).toBe(0);
  });

  it('a delay past what host timers accept is reached in steps, firing once at the right time', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const start = clock.now();
    const timer = new Timer(clock, () => fired.push(clock.now() - start));
    const delay = MAX_TIMER_DELAY_MS * 2 + 5;
    timer.schedule(delay);
    clock.advance(MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
    expect(timer.armed).toBe(true);
    clock.advance(MAX_TIMER_DELAY_MS + 5);
    expect(fired).toEqual([delay]);
    expect(clock.pending).toBe(0);
  });

  it('reschedule replaces, cancel releases', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new Timer(clock, () => fired++);
    timer.schedule(100);
    timer.schedule(200);
    clock.advance(150);
    expect(fired).toBe(0);
    timer.cancel();
    clock.advance(100);
    expect(fired).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
