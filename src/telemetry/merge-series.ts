/**
 * Time series of several replicas summed onto one time axis. Replicas sample at their own
 * instants (each a second apart from its own start), so their points are read at common
 * grid times: cumulative fields are interpolated between the two points around a grid
 * time, window fields (rates, in flight, latency) come from the point whose window holds
 * it, and a replica contributes no rate before its first point's window or after its last
 * point (it was not sending then).
 */
import { round } from './pipeline-series.js';
import type { PipelinePoint, SinkPoint } from './run-data.js';

/** A replica's series, its times already moved onto the merged run's clock (seconds). */
export interface Shifted<P extends { t: number }> {
  points: P[];
  /** Seconds between its points, where a window starts before its first point. */
  interval: number;
}

/** The two points around `t`: the last at or before it and the first at or after it. */
interface Around<P> {
  before: P | undefined;
  after: P | undefined;
}

const EPS = 1e-6;

function around<P extends { t: number }>(points: P[], t: number): Around<P> {
  // Binary search: reports hold up to ~1000 points per series.
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t < t - EPS) lo = mid + 1;
    else hi = mid;
  }
  const after = points[lo];
  const exact = after !== undefined && Math.abs(after.t - t) <= EPS;
  return { before: exact ? after : points[lo - 1], after };
}

/** `field` at `t`, linear between the points around it; held after the last; 0 before the first. */
function cumulative<P extends { t: number }>(a: Around<P>, t: number, field: (p: P) => number): number {
  const { before, after } = a;
  if (!before) return 0;
  if (!after || after === before) return field(before);
  const f = (t - before.t) / (after.t - before.t);
  return field(before) + f * (field(after) - field(before));
}

/** The point whose window holds `t` (its window ends at its own t), or none while the replica was not sending. */
function windowAt<P extends { t: number }>(s: Shifted<P>, a: Around<P>, t: number): P | undefined {
  const first = s.points[0];
  if (!a.after || !first || t < first.t - s.interval - EPS) return undefined;
  return a.after;
}

/** Grid times from one step after `start` to `end`, with `end` itself as the last. */
export function grid(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let t = start + step; t < end - EPS; t += step) out.push(round(t, 3));
  out.push(round(end, 3));
  return out;
}

const sumOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const maxOf = (xs: (number | null)[]): number | null => {
  const real = xs.filter((x): x is number => x !== null);
  return real.length === 0 ? null : Math.max(...real);
};

/** A pipeline's cumulative numbers, at one time. */
type Cumulative = Pick<PipelinePoint, 'sending_s' | 'sent' | 'failed' | 'retries' | 'sent_bytes'>;
const CUMULATIVE = ['sent', 'failed', 'retries', 'sent_bytes'] as const;

/**
 * One merged point: cumulative numbers as given (summed counts, the longest sending
 * time), window values of the replicas sending in it added up, latency the highest of
 * theirs (percentiles of separate histograms cannot be added, so a merged p99 is an upper
 * bound).
 */
function mergedPoint(seq: number, t: number, c: Cumulative, win: PipelinePoint[]): PipelinePoint {
  const targets = win.map((p) => p.rate_target).filter((x): x is number => x !== null);
  const sum = (f: (p: PipelinePoint) => number): number => sumOf(win.map(f));
  return {
    seq, t, ...c,
    rate: round(sum((p) => p.rate), 1),
    failed_per_s: round(sum((p) => p.failed_per_s), 1),
    retries_per_s: round(sum((p) => p.retries_per_s), 1),
    mb_per_s: round(sum((p) => p.mb_per_s), 3),
    in_flight: sum((p) => p.in_flight),
    rate_target: targets.length === 0 ? null : round(sumOf(targets), 1),
    latency_p50_ms: maxOf(win.map((p) => p.latency_p50_ms)),
    latency_p99_ms: maxOf(win.map((p) => p.latency_p99_ms)),
    stage: win.find((p) => p.stage !== null)?.stage ?? null,
  };
}

/** The replicas' pipeline points summed at each grid time. */
export function mergePipelinePoints(replicas: Shifted<PipelinePoint>[], times: number[]): PipelinePoint[] {
  return times.map((t, i) => {
    const at = replicas.map((s) => ({ s, a: around(s.points, t) }));
    const c = { sending_s: round(Math.max(0, ...at.map(({ a }) => cumulative(a, t, (p) => p.sending_s))), 3) } as Cumulative;
    for (const f of CUMULATIVE) c[f] = round(sumOf(at.map(({ a }) => cumulative(a, t, (p) => p[f]))), 0);
    const win = at.map(({ s, a }) => windowAt(s, a, t)).filter((p): p is PipelinePoint => p !== undefined);
    return mergedPoint(i + 1, t, c, win);
  });
}

/** The replicas' sink points summed at each grid time, as pipeline points are. */
export function mergeSinkPoints(replicas: Shifted<SinkPoint>[], times: number[]): SinkPoint[] {
  return times.map((t, i) => {
    const at = replicas.map((s) => ({ s, a: around(s.points, t) }));
    const win = at.map(({ s, a }) => windowAt(s, a, t)).filter((p): p is SinkPoint => p !== undefined);
    const events = {} as SinkPoint['events'];
    const perS = {} as SinkPoint['per_s'];
    for (const sig of Object.keys(replicas[0]?.points[0]?.events ?? {}) as (keyof SinkPoint['events'])[]) {
      events[sig] = round(sumOf(at.map(({ a }) => cumulative(a, t, (p) => p.events[sig]))), 0);
      perS[sig] = round(sumOf(win.map((p) => p.per_s[sig])), 1);
    }
    return { seq: i + 1, t, events, per_s: perS };
  });
}

/** Each replica's latest point summed: the merged run's `now`, at its end. */
export function sumNow(points: PipelinePoint[], t: number, seq: number): PipelinePoint {
  const c = { sending_s: Math.max(0, ...points.map((p) => p.sending_s)) } as Cumulative;
  for (const f of CUMULATIVE) c[f] = sumOf(points.map((p) => p[f]));
  return mergedPoint(seq, t, c, points);
}
