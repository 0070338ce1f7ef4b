import { peakShare } from '../../../benchmarks/measure';
import { backoffDelay, DEFAULT_BACKOFF, hintedDelay } from '../../../src/time/backoff';
import { seededRandom } from '../../support/random';

describe('full-jitter exponential backoff', () => {
  it('is random() times the capped exponential, exactly', () => {
    const half = () => 0.5;
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, DEFAULT_BACKOFF, half))).toEqual([1000, 2000, 4000, 8000, 15000]);
  });

  it('applies the cap before the jitter, so delays stay spread at the cap', () => {
    const delays = [0, 0.25, 0.5, 0.75, 0.999].map((r) => backoffDelay(50, DEFAULT_BACKOFF, () => r));
    expect(delays).toEqual([0, 7500, 15000, 22500, 29970]);
  });

  it('stays within [0, cap) for every attempt with any random value in [0, 1)', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const cap = Math.min(30_000, 2000 * 2 ** attempt);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0)).toBe(0);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.999999)).toBeLessThan(cap);
    }
  });

  it("a server's retry hint is the jitter window instead of the backoff's, capped at maxMs", () => {
    expect([0, 0.5, 0.999].map((r) => hintedDelay(400, DEFAULT_BACKOFF, () => r))).toEqual([0, 200, 399]);
    expect(hintedDelay(0, DEFAULT_BACKOFF, () => 0.5)).toBe(0);
    // A hint past the client's own cap (a server asking for an hour) waits no longer than maxMs.
    expect(hintedDelay(3_600_000, DEFAULT_BACKOFF, () => 0.5)).toBe(15_000);
  });

  it('survives a broken random source (NaN, negative, >= 1) without a negative or over-cap delay', () => {
    for (const r of [Number.NaN, -1, 1, 7]) {
      const d = backoffDelay(3, DEFAULT_BACKOFF, () => r);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(16_000);
    }
  });

  it('by default spreads a fleet that loses its server at once: a 100 ms window holds at most 10% of 200 first retries', () => {
    const random = seededRandom(5);
    const peaks: number[] = [];
    for (let fleet = 0; fleet < 21; fleet++) {
      peaks.push(peakShare(Array.from({ length: 200 }, () => backoffDelay(0, DEFAULT_BACKOFF, random)), 100));
    }
    peaks.sort((a, b) => a - b);
    // The median fleet; chance alone puts an unlucky one a little above (reconnect-storm.ts measures the real thing).
    expect(peaks[10]).toBeLessThanOrEqual(0.1);
    expect(peaks[20]).toBeLessThanOrEqual(0.15);
  });

  it('never overflows with huge attempt numbers', () => {
    expect(backoffDelay(10_000, DEFAULT_BACKOFF, () => 0.5)).toBe(15_000);
  });
});
