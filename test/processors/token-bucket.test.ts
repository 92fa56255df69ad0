import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/processors/token-bucket.js';

function fakeClock(): { now: number; fn: () => number } {
  const c = { now: 0, fn: () => c.now };
  return c;
}

describe('TokenBucket', () => {
  it('starts empty, so a run never overshoots by a burst', () => {
    const c = fakeClock();
    const b = new TokenBucket({ eventsPerSecond: 1000, clock: c.fn });
    expect(b.tryTake(1)).toBeCloseTo(1, 6);
    c.now = 500;
    expect(b.tryTake(500)).toBe(0);
    expect(b.tryTake(1)).toBeCloseTo(1, 6);
  });

  it('earns nothing before its first take, however long the pipeline took to load', () => {
    const c = fakeClock();
    const b = new TokenBucket({ eventsPerSecond: 1000, clock: c.fn });
    c.now = 5_000; // loading and compiling templates
    expect(b.tryTake(1)).toBeCloseTo(1, 6);
  });

  it('holds the rate exactly over many requests', () => {
    const c = fakeClock();
    const b = new TokenBucket({ eventsPerSecond: 200_000, clock: c.fn });
    let sent = 0;
    // Simulate a loop that waits exactly as long as the bucket asks, for 30 s.
    while (c.now < 30_000) {
      const wait = b.tryTake(10_000);
      if (wait === 0) sent += 10_000;
      else c.now += wait;
    }
    expect(sent / 30).toBeGreaterThanOrEqual(200_000 * 0.98);
    expect(sent / 30).toBeLessThanOrEqual(200_000 * 1.02);
  });

  it('caps saved-up tokens at the burst (default 2× rate)', () => {
    const c = fakeClock();
    const b = new TokenBucket({ eventsPerSecond: 100, clock: c.fn });
    expect(b.burst).toBe(200);
    expect(b.tryTake(0)).toBe(0);
    c.now = 60_000; // a long stall saves at most one burst
    expect(b.tryTake(200)).toBe(0);
    expect(b.tryTake(1)).toBeGreaterThan(0);
  });

  it('raises the burst to the largest request so a big frame is admitted', () => {
    const c = fakeClock();
    const b = new TokenBucket({ eventsPerSecond: 100, burst: 10, clock: c.fn });
    expect(b.burst).toBe(10);
    expect(b.tryTake(0)).toBe(0);
    c.now = 50_000;
    expect(b.tryTake(5000)).toBe(0);
    expect(b.burst).toBe(5000);
  });

  it('take() waits in real time and stops waiting when aborted', async () => {
    const b = new TokenBucket({ eventsPerSecond: 1000 });
    const t0 = performance.now();
    expect(await b.take(50)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    const p = b.take(1_000_000, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket({ eventsPerSecond: 0 })).toThrow(/events_per_second/);
  });
});
