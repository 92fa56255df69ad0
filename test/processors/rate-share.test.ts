import { describe, expect, it } from 'vitest';
import { ParseContext } from '../../src/config/component.js';
import type { ConfigProblem } from '../../src/errors.js';
import { ratelimitProcessor } from '../../src/processors/ratelimit.js';
import { phaseOf, processorContext, shareOf, splitExactly, type SenderPlace } from '../../src/processors/rate-share.js';
import { TokenBucket } from '../../src/processors/token-bucket.js';

function places(replicas: number, workers: number): SenderPlace[] {
  const out: SenderPlace[] = [];
  for (let replica = 0; replica < replicas; replica++) for (let worker = 0; worker < workers; worker++) out.push({ replica, replicas, worker, workers });
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('rate shares', () => {
  it('spreads the remainder over the first parts: 10 events/s over 3 replicas is 4, 3, 3', () => {
    expect([0, 1, 2].map((i) => splitExactly(10, 3, i))).toEqual([4, 3, 3]);
  });

  it('splits within a replica the same way: 10 over 3 replicas × 2 workers is 2+2, 2+1, 2+1', () => {
    expect(places(3, 2).map((p) => shareOf(10, p))).toEqual([2, 2, 2, 1, 2, 1]);
  });

  it('sums to the configured rate exactly for integer rates, whatever the replicas and workers', () => {
    for (const total of [1, 7, 10, 999, 1_000_000, 20_000_000]) {
      for (const [r, w] of [[1, 1], [3, 1], [4, 3], [7, 5], [50, 4]] as const) {
        const shares = places(r, w).map((p) => shareOf(total, p));
        expect(sum(shares), `${total} over ${r}×${w}`).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('divides a fraction evenly, so fractional rates sum too', () => {
    const shares = places(4, 2).map((p) => shareOf(10.5, p));
    expect(sum(shares)).toBeCloseTo(10.5, 9);
  });

  it('leaves a share of 0 when the rate is below the number of senders', () => {
    expect(places(4, 1).map((p) => shareOf(2, p))).toEqual([1, 1, 0, 0]);
  });

  it('gives every sender its own phase, workers of a replica spread evenly and replicas in between', () => {
    const phases = places(4, 2).map(phaseOf);
    expect(new Set(phases).size).toBe(8);
    expect([...phases].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => k / 8));
    expect(phaseOf({ replica: 0, replicas: 1, worker: 1, workers: 2 })).toBe(0.5);
    expect(phaseOf({ replica: 0, replicas: 1, worker: 0, workers: 1 })).toBe(0);
  });
});

describe('ratelimit over replicas', () => {
  function limiter(eventsPerSecond: number, burst?: number) {
    const problems: ConfigProblem[] = [];
    const cfg = ratelimitProcessor.parse({ events_per_second: eventsPerSecond, burst }, new ParseContext('ratelimit', 'processors.ratelimit', '/', problems));
    expect(problems).toEqual([]);
    return cfg;
  }

  it('holds each worker of each replica to its exact share', () => {
    const cfg = limiter(10);
    const rates = places(3, 2).map((p) => ratelimitProcessor.create(cfg, processorContext('traces', p)).send!.rate);
    expect(rates).toEqual([2, 2, 2, 1, 2, 1]);
  });

  it('sends nothing from a worker whose share is 0, and says so by refusing at once', async () => {
    const hooks = ratelimitProcessor.create(limiter(2), processorContext('traces', { replica: 3, replicas: 4, worker: 0, workers: 1 }));
    expect(hooks.send!.rate).toBe(0);
    expect(await hooks.send!.take(1, new AbortController().signal)).toBe(false);
  });

  it('splits the burst in proportion to the share', () => {
    const hooks = ratelimitProcessor.create(limiter(10, 100), processorContext('traces', { replica: 0, replicas: 3, worker: 0, workers: 1 }));
    expect((hooks.send as unknown as { burst: number }).burst).toBe(40);
  });
});

describe('phased token buckets', () => {
  /** Requests of `n` events admitted by each bucket in [0, untilMs], each sender waiting exactly as told. */
  function admitted(buckets: TokenBucket[], clock: { now: number }, n: number, untilMs: number): { counts: number[]; firsts: number[] } {
    const counts = buckets.map(() => 0);
    const firsts = buckets.map(() => -1);
    const next = buckets.map(() => 0);
    for (;;) {
      const i = next.indexOf(Math.min(...next));
      if (next[i]! > untilMs) break;
      clock.now = next[i]!;
      const wait = buckets[i]!.tryTake(n);
      if (wait === 0) {
        counts[i]!++;
        if (firsts[i] === -1) firsts[i] = clock.now;
      } else {
        // A hair past the moment asked for, as a timer fires: float rounding could otherwise ask again for 1e-13 ms forever.
        next[i] = clock.now + wait + 1e-6;
      }
    }
    return { counts, firsts };
  }

  it('starts the senders of a run at evenly spread moments of one request interval', () => {
    const clock = { now: 0 };
    const ps = places(4, 1);
    const buckets = ps.map((p) => new TokenBucket({ eventsPerSecond: 250, phase: phaseOf(p), clock: () => clock.now }));
    // 50 events at 250/s: one request every 200 ms per sender.
    const { firsts } = admitted(buckets, clock, 50, 1000);
    expect(firsts.map((t) => Math.round(t))).toEqual([200, 150, 100, 50]);
  });

  it('together send exactly what one bucket at the summed rate would', () => {
    for (const until of [999, 1001, 3333, 10_007]) {
      const clock = { now: 0 };
      const many = places(4, 3).map((p) => new TokenBucket({ eventsPerSecond: 100, phase: phaseOf(p), clock: () => clock.now }));
      const { counts } = admitted(many, clock, 10, until);
      const oneClock = { now: 0 };
      const one = admitted([new TokenBucket({ eventsPerSecond: 1200, clock: () => oneClock.now })], oneClock, 10, until).counts[0]!;
      expect(sum(counts), `until ${until} ms`).toBe(one);
    }
  });

  it('rejects a phase outside [0, 1)', () => {
    expect(() => new TokenBucket({ eventsPerSecond: 1, phase: 1 })).toThrow(/phase/);
  });
});
