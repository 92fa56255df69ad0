import { describe, expect, it } from 'vitest';
import { RateShape } from '../../src/processors/rate-shape.js';
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

describe('TokenBucket on a load shape', () => {
  const ramp = () => new RateShape([{ durationMs: 5000, target: 40_000 }, { durationMs: 5000, target: 40_000 }], 0);

  it('admits what the ramp allows, within one request at every moment', () => {
    const c = fakeClock();
    const shape = ramp();
    const b = new TokenBucket({ shape, clock: c.fn });
    b.start(0);
    let sent = 0;
    for (;;) {
      const wait = b.tryTake(100);
      if (wait === Infinity) break;
      if (wait === 0) {
        sent += 100;
        expect(sent).toBeLessThanOrEqual(shape.eventsBy(c.now) + 1e-6);
        expect(sent).toBeGreaterThan(shape.eventsBy(c.now) - 100);
      } else c.now += wait;
    }
    expect(sent).toBe(300_000);
    expect(c.now).toBe(10_000);
  });

  it('waits until the shape ends before saying it has ended, and then stops', () => {
    const c = fakeClock();
    const b = new TokenBucket({ shape: new RateShape([{ durationMs: 1000, target: 10 }], 10), clock: c.fn });
    b.start(0);
    expect(b.tryTake(10)).toBe(1000);
    c.now = 1000;
    expect(b.tryTake(10)).toBe(0);
    expect(b.tryTake(10)).toBe(Infinity);
  });

  it('runs on the origin it is given, so workers started apart share one curve', () => {
    const c = fakeClock();
    const b = new TokenBucket({ shape: ramp(), clock: c.fn });
    b.start(-2000); // the pipeline started sending 2 s ago (by this thread's clock)
    expect(b.rate).toBe(16_000);
    expect(b.stage).toBe(0);
    c.now = 3500;
    expect(b.stage).toBe(1);
  });

  it('a new rate replaces the shape and starts empty', () => {
    const c = fakeClock();
    const b = new TokenBucket({ shape: ramp(), clock: c.fn });
    b.start(0);
    c.now = 7000;
    b.setRate(1000);
    expect(b.rate).toBe(1000);
    expect(b.tryTake(10)).toBeCloseTo(10, 6);
    c.now = 107_000; // a constant rate never ends
    expect(b.tryTake(10)).toBe(0);
  });

  it('can start full, as the sink\'s limit does', () => {
    const b = new TokenBucket({ eventsPerSecond: 1000, burst: 500, full: true, clock: () => 0 });
    expect(b.tryTake(500)).toBe(0);
    expect(b.tryTake(1)).toBeGreaterThan(0);
  });
});
