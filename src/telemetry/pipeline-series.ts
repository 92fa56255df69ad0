import { addLatency, emptyLatency, latencyQuantile, latencySince, type LatencySnapshot } from '../worker/latency-histogram.js';
import { BoundedSeries } from './bounded-series.js';
import { isTerminal } from './pipeline-state.js';
import type { PipelinePoint } from './run-data.js';
import type { PipelineSnapshot } from './source.js';

/** A pipeline's cumulative numbers at one sample (counters already monotonic). */
export interface Totals {
  sentEvents: number;
  failedEvents: number;
  retries: number;
  sentBytes: number;
  rejectedEvents: number;
  droppedEvents: number;
  inFlight: number;
  sendingS: number;
  /** Export latency of all exporters together, cumulative. */
  latency: LatencySnapshot;
}

/** Where a window starts: a point and the cumulative latency it was taken at. */
export interface WindowStart {
  point: PipelinePoint;
  latency: LatencySnapshot;
}

/** All exporters' cumulative latency as one histogram (a snapshot without latency has none). */
export function latencyOf(snap: PipelineSnapshot): LatencySnapshot {
  const all = emptyLatency();
  for (const l of Object.values(snap.latency ?? {})) addLatency(all, l);
  return all;
}

/** A point whose window runs from `start` (or the start of the run) to these totals. */
export function pipelinePoint(seq: number, t: number, snap: PipelineSnapshot, c: Totals, start: WindowStart | undefined): PipelinePoint {
  const base = start?.point ?? ZERO;
  const dt = c.sendingS - base.sending_s;
  // No new worker stats since `start`: a running pipeline keeps its last values, a finished one sends nothing.
  const carry = dt <= 0 && start !== undefined && !isTerminal(snap.state);
  const per = (now: number, then: number): number => (dt > 0 ? (now - then) / dt : 0);
  const latency = latencySince(c.latency, start?.latency);
  return {
    seq,
    t,
    sending_s: round(c.sendingS, 3),
    sent: c.sentEvents,
    failed: c.failedEvents,
    retries: c.retries,
    sent_bytes: c.sentBytes,
    rate: carry ? base.rate : round(per(c.sentEvents, base.sent), 1),
    failed_per_s: carry ? base.failed_per_s : round(per(c.failedEvents, base.failed), 1),
    retries_per_s: carry ? base.retries_per_s : round(per(c.retries, base.retries), 1),
    mb_per_s: carry ? base.mb_per_s : round(per(c.sentBytes, base.sent_bytes) / 1e6, 3),
    in_flight: c.inFlight,
    rate_target: snap.rateTarget,
    latency_p50_ms: carry ? base.latency_p50_ms : ms(latencyQuantile(latency, 0.5)),
    latency_p99_ms: carry ? base.latency_p99_ms : ms(latencyQuantile(latency, 0.99)),
    stage: snap.stage ?? null,
  };
}

const ZERO: PipelinePoint = {
  seq: 0, t: 0, sending_s: 0, sent: 0, failed: 0, retries: 0, sent_bytes: 0, rate: 0, failed_per_s: 0, retries_per_s: 0, mb_per_s: 0,
  in_flight: 0, rate_target: null, latency_p50_ms: null, latency_p99_ms: null, stage: null,
};

/**
 * One pipeline's bounded series, with the cumulative latency at each point kept beside it
 * (not in the points a reader gets), so a merged point's percentiles are those of both
 * windows together, not an average of two percentiles.
 */
export class PipelineSeries {
  readonly #latencyAt = new Map<number, LatencySnapshot>();
  readonly #series: BoundedSeries<PipelinePoint>;

  constructor(maxPoints: number) {
    this.#series = new BoundedSeries(maxPoints, (before, a, b) => this.#merge(before, a, b));
  }

  get points(): readonly PipelinePoint[] {
    return this.#series.points;
  }

  since(seq: number): PipelinePoint[] {
    return this.#series.since(seq);
  }

  /** Adds a point taken at cumulative `latency`; true when the series had to be halved. */
  push(point: PipelinePoint, latency: LatencySnapshot): boolean {
    this.#latencyAt.set(point.seq, latency);
    if (!this.#series.push(point)) return false;
    const kept = new Set(this.#series.points.map((p) => p.seq));
    for (const seq of this.#latencyAt.keys()) if (!kept.has(seq)) this.#latencyAt.delete(seq);
    return true;
  }

  /**
   * Where a new point's window starts: the first of the latest points with less sending
   * time. With several workers, counters can grow between two points whose sending time
   * (the longest worker window) did not; starting before them keeps that growth in the
   * next window instead of losing it. A finished pipeline's points cover no sending.
   */
  windowStart(c: Totals, snap: PipelineSnapshot): WindowStart | undefined {
    const points = this.#series.points;
    let i = points.length - 1;
    if (!isTerminal(snap.state)) {
      while (i >= 0 && points[i]!.sending_s >= round(c.sendingS, 3)) i--;
      if (i < 0) i = points.length - 1;
      while (i > 0 && points[i - 1]!.sending_s === points[i]!.sending_s) i--;
    }
    const point = points[i];
    return point && { point, latency: this.#latencyAt.get(point.seq)! };
  }

  /**
   * Two neighbours as one: totals and target of the later, rates and latency over both
   * windows together, the higher in-flight count (a peak must not vanish).
   */
  #merge(before: PipelinePoint | undefined, a: PipelinePoint, b: PipelinePoint): PipelinePoint {
    const base = before ?? ZERO;
    const dt = b.sending_s - base.sending_s;
    const per = (now: number, then: number, fallback: number): number => (dt > 0 ? round((now - then) / dt, 1) : fallback);
    const latency = latencySince(this.#latencyAt.get(b.seq)!, before && this.#latencyAt.get(before.seq));
    const p50 = latencyQuantile(latency, 0.5);
    return {
      ...b,
      rate: per(b.sent, base.sent, b.rate),
      failed_per_s: per(b.failed, base.failed, b.failed_per_s),
      retries_per_s: per(b.retries, base.retries, b.retries_per_s),
      mb_per_s: dt > 0 ? round((b.sent_bytes - base.sent_bytes) / dt / 1e6, 3) : b.mb_per_s,
      in_flight: Math.max(a.in_flight, b.in_flight),
      latency_p50_ms: p50 === null ? b.latency_p50_ms : ms(p50),
      latency_p99_ms: p50 === null ? b.latency_p99_ms : ms(latencyQuantile(latency, 0.99)),
    };
  }
}

function ms(x: number | null): number | null {
  return x === null ? null : round(x, 3);
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
