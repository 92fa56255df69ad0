import { describe, expect, it } from 'vitest';
import { RateShape } from '../../src/processors/rate-shape.js';

// 0 → 40k/s over 5 s, hold 5 s, down to 10k/s over 2 s.
const STAGES = [{ durationMs: 5000, target: 40_000 }, { durationMs: 5000, target: 40_000 }, { durationMs: 2000, target: 10_000 }];

describe('RateShape', () => {
  it('ramps linearly to each target and holds equal targets, as k6 stages do', () => {
    const s = new RateShape(STAGES, 0);
    expect(s.rateAt(0)).toBe(0);
    expect(s.rateAt(2500)).toBe(20_000);
    expect(s.rateAt(5000)).toBe(40_000);
    expect(s.rateAt(7500)).toBe(40_000);
    expect(s.rateAt(11_000)).toBe(25_000);
    expect(s.rateAt(60_000)).toBe(10_000);
    expect(s.endMs).toBe(12_000);
    expect([0, 4999, 5000, 9999, 10_000, 11_999, 50_000].map((t) => s.stageAt(t))).toEqual([0, 0, 1, 1, 2, 2, 2]);
  });

  it('starts the first ramp from start_rate', () => {
    const s = new RateShape([{ durationMs: 1000, target: 2000 }], 1000);
    expect(s.rateAt(500)).toBe(1500);
    expect(s.eventsBy(1000)).toBe(1500);
  });

  it('counts the events the curve allows as its exact integral, constant after the end', () => {
    const s = new RateShape(STAGES, 0);
    expect(s.eventsBy(1000)).toBeCloseTo(4000, 6);
    expect(s.eventsBy(5000)).toBeCloseTo(100_000, 6);
    expect(s.eventsBy(10_000)).toBeCloseTo(300_000, 6);
    expect(s.eventsBy(12_000)).toBeCloseTo(350_000, 6);
    expect(s.eventsBy(99_000)).toBeCloseTo(350_000, 6);
  });

  it('finds when a number of events is reached, and says never once the shape has ended', () => {
    const s = new RateShape(STAGES, 0);
    for (const t of [0.5, 1, 700, 4999, 5000, 6123.5, 10_000, 11_111, 11_999]) expect(s.timeOf(s.eventsBy(t))).toBeCloseTo(t, 3);
    expect(s.timeOf(350_001)).toBe(Infinity);
  });

  it('pauses through a stage at 0 events/s', () => {
    const s = new RateShape([{ durationMs: 1000, target: 1000 }, { durationMs: 1000, target: 0 }, { durationMs: 1000, target: 0 }, { durationMs: 1000, target: 1000 }], 1000);
    // 1000 in the first second, 500 ramping down, nothing for a second, then 500 ramping up.
    expect(s.eventsBy(3000)).toBeCloseTo(1500, 6);
    expect(s.timeOf(1501)).toBeGreaterThan(3000);
    expect(s.timeOf(2000)).toBeCloseTo(4000, 6);
  });

  it('scales to one worker\'s share of the curve', () => {
    const whole = new RateShape(STAGES, 0);
    const half = new RateShape(STAGES, 0, 1 / 2);
    expect(half.rateAt(3000) * 2).toBeCloseTo(whole.rateAt(3000), 9);
    expect(half.eventsBy(8000) * 2).toBeCloseTo(whole.eventsBy(8000), 6);
  });

  it('holds a constant rate forever', () => {
    const c = RateShape.constant(1000);
    expect(c.endMs).toBe(Infinity);
    expect(c.rateAt(1e9)).toBe(1000);
    expect(c.eventsBy(2500)).toBe(2500);
    expect(c.timeOf(2500)).toBe(2500);
  });
});
