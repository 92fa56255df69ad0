import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/generator/prng.js';

describe('Rng', () => {
  it('repeats the same sequence for the same seed and stream', () => {
    const a = new Rng(42, 3);
    const b = new Rng(42, 3);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
  });

  it('differs between seeds and between streams', () => {
    const first = (r: Rng) => Array.from({ length: 8 }, () => r.u32());
    expect(first(new Rng(1))).not.toEqual(first(new Rng(2)));
    expect(first(new Rng(1, 0))).not.toEqual(first(new Rng(1, 1)));
    expect(first(new Rng(2 ** 40))).not.toEqual(first(new Rng(2 ** 40 + 2 ** 32)));
  });

  it('draws uniform floats and integers in range', () => {
    const r = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = r.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      sum += f;
      const k = r.range(3, 5);
      expect([3, 4, 5]).toContain(k);
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
  });

  it('draws normals with the asked mean and standard deviation', () => {
    const r = new Rng(9);
    const xs = Array.from({ length: 20_000 }, () => r.normal(10, 3));
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeGreaterThan(9.9);
    expect(mean).toBeLessThan(10.1);
    expect(sd).toBeGreaterThan(2.9);
    expect(sd).toBeLessThan(3.1);
  });

  it('makes ids of the right length that are never all zeros', () => {
    const r = new Rng(5);
    for (let i = 0; i < 1000; i++) {
      const id = r.id(i % 2 ? 8 : 16);
      expect(id.length).toBe(i % 2 ? 8 : 16);
      expect(id.some((b) => b !== 0)).toBe(true);
    }
  });
});
