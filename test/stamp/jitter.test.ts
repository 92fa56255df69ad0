import { describe, expect, it } from 'vitest';
import { drawJitter } from '../../src/stamp/jitter.js';

describe('jitter draw', () => {
  it('is uniform in [0, max] and reproducible per (seed, worker, cycle)', () => {
    const a = new Float64Array(20_000);
    drawJitter(a, 10, [1, 2], 0, 0);
    const max = 10e6;
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(max);
    expect(a.every(Number.isInteger)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - max / 2)).toBeLessThan(max * 0.02);
    const quarters = [0, 0, 0, 0];
    for (const x of a) quarters[Math.min(3, Math.floor((x / max) * 4))]!++;
    for (const q of quarters) expect(Math.abs(q - a.length / 4)).toBeLessThan(a.length * 0.02);
    const b = new Float64Array(a.length);
    drawJitter(b, 10, [1, 2], 0, 0);
    expect(b).toEqual(a);
    drawJitter(b, 10, [1, 2], 0, 1);
    expect(b).not.toEqual(a);
    drawJitter(b, 0, [1, 2], 0, 1);
    expect(b.every((x) => x === 0)).toBe(true);
  });
});
