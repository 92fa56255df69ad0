/**
 * Export latency as fixed buckets: each worker counts its requests into one per exporter
 * (no message per request), posts the counts with its stats, and the main thread adds
 * them up. p50/p99 are interpolated inside a bucket, as Prometheus's histogram_quantile
 * does; the bounds are the /metrics histogram's buckets.
 */

/** Bucket upper bounds in ms: 1 ms to 30 s, about 1.5× apart (1, 1.5, 2, 3, 5, 7 per decade). */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700,
  1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000,
];

/** Requests per bucket (the last one: above 30 s) and the sum of their latencies. Cumulative. */
export interface LatencySnapshot {
  counts: number[];
  sumMs: number;
}

export function emptyLatency(): LatencySnapshot {
  return { counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), sumMs: 0 };
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(LATENCY_BOUNDS_MS.length + 1);
  #sumMs = 0;

  record(ms: number): void {
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
    this.#counts[i]!++;
    this.#sumMs += ms;
  }

  snapshot(): LatencySnapshot {
    return { counts: Array.from(this.#counts), sumMs: this.#sumMs };
  }
}

export function countOf(s: LatencySnapshot): number {
  let n = 0;
  for (const c of s.counts) n += c;
  return n;
}

export function addLatency(into: LatencySnapshot, from: LatencySnapshot): LatencySnapshot {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sumMs += from.sumMs;
  return into;
}

/** What was recorded between `earlier` and `later`; a source that started over (lower counts) counts from zero. */
export function latencySince(later: LatencySnapshot, earlier: LatencySnapshot | undefined): LatencySnapshot {
  if (!earlier || later.counts.some((c, i) => c < (earlier.counts[i] ?? 0))) return structuredClone(later);
  return { counts: later.counts.map((c, i) => c - earlier.counts[i]!), sumMs: later.sumMs - earlier.sumMs };
}

/** The q-quantile (0..1) in ms, or null without requests; above the last bound it is that bound. */
export function latencyQuantile(s: LatencySnapshot, q: number): number | null {
  const total = countOf(s);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < s.counts.length; i++) {
    const c = s.counts[i]!;
    if (c > 0 && below + c >= rank) {
      if (i === LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[i - 1]!;
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const hi = LATENCY_BOUNDS_MS[i]!;
      return lo + ((hi - lo) * (rank - below)) / c;
    }
    below += c;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
