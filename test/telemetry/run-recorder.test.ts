import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../../src/sink/intake.js';
import { emptyLatency, type LatencySnapshot } from '../../src/worker/latency-histogram.js';
import { RunRecorder } from '../../src/telemetry/run-recorder.js';
import { StatsReporter } from '../../src/telemetry/stats-reporter.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

const silent = pino({ level: 'silent' });

/** A recorder on a fake source and a clock the test moves; `tick` moves it one second and samples. */
function recorder(source: FakeSource, opts: { maxPoints?: number; sink?: () => ReturnType<typeof emptyCounts> } = {}) {
  let now = 1_700_000_000_000;
  const r = new RunRecorder({ source, log: silent, runId: 'run-1', version: '0.0.0', clock: () => now, maxPoints: opts.maxPoints, sinkCounts: opts.sink });
  const tick = (ms = 1000) => {
    now += ms;
    r.sample();
  };
  return { r, tick };
}

/** A cumulative latency histogram with `n` requests in bucket `i` for each entry. */
function histogram(buckets: Record<number, number>): LatencySnapshot {
  const h = emptyLatency();
  for (const [i, n] of Object.entries(buckets)) h.counts[Number(i)] = n;
  return h;
}

describe('RunRecorder', () => {
  it('records one point per second whose rates are the growth over the sending time since the point before', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source);
    source.pipelines = [pipeline({ pipeline: 'traces', rateTarget: 1000, sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 1000, sentBytes: 2e6, inFlight: 3 }) } })];
    tick();
    source.pipelines = [pipeline({ pipeline: 'traces', rateTarget: 1000, sendingMs: 3000, exporters: { otlp_grpc: counters({ sentEvents: 2000, sentBytes: 3e6, failedEvents: 40, retries: 10, inFlight: 4 }) } })];
    tick();
    const [p] = r.data().pipelines;
    expect(p!.points.map((x) => [x.t, x.sent, x.rate, x.mb_per_s, x.failed_per_s, x.retries_per_s, x.in_flight, x.rate_target])).toEqual([
      [1, 1000, 1000, 2, 0, 0, 3, 1000],
      [2, 2000, 500, 0.5, 20, 5, 4, 1000],
    ]);
    expect(p!.now).toEqual(p!.points[1]);
  });

  it('keeps the last rates while no new worker stats arrived, and shows 0/s once the pipeline stopped', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source);
    source.pipelines = [pipeline({ pipeline: 'traces', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 800 }) } })];
    tick();
    tick();
    expect(r.data().pipelines[0]!.points.map((x) => x.rate)).toEqual([800, 800]);
    // Another worker's counters arrived, the longest sending window did not grow: counted in the next window.
    source.pipelines = [pipeline({ pipeline: 'traces', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 1000 }) } })];
    tick();
    source.pipelines = [pipeline({ pipeline: 'traces', sendingMs: 2000, exporters: { otlp_grpc: counters({ sentEvents: 2000 }) } })];
    tick();
    expect(r.data().pipelines[0]!.points.map((x) => x.rate)).toEqual([800, 800, 800, 1200]);
    source.pipelines = [pipeline({ pipeline: 'traces', state: 'stopped', sendingMs: 2000, exporters: { otlp_grpc: counters({ sentEvents: 2000 }) } })];
    tick();
    expect(r.data().pipelines[0]!.now.rate).toBe(0);
    expect(r.data().pipelines[0]!.points.at(-1)!.rate).toBe(0);
  });

  it('ends with the totals the summary line reports, across a restart that counts from zero again', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source);
    const stats = new StatsReporter({ source, log: silent, intervalMs: 1000 });
    const snap = (sent: number, sendingMs: number) => [pipeline({ pipeline: 'logs', signal: 'logs', sendingMs, exporters: { a: counters({ sentEvents: sent, sentBytes: sent * 10, failedEvents: 3, rejectedEvents: 2, droppedEvents: 1, retries: 7 }), b: counters({ sentEvents: sent / 2 }) } })];
    source.pipelines = snap(1000, 1000);
    tick();
    stats.summary();
    source.pipelines = snap(400, 1500);
    tick();
    r.finish();
    const [summary] = stats.summary();
    const [p] = r.data().pipelines;
    const last = p!.points.at(-1)!;
    expect([last.sent, last.failed, last.retries, last.sent_bytes, p!.rejected, p!.dropped, last.sending_s]).toEqual([
      summary!.sent, summary!.failed, summary!.retries, summary!.sentBytes, summary!.rejected, summary!.dropped, summary!.durationMs / 1000,
    ]);
    expect(p!.unit).toBe('logs');
    expect(r.data().live).toBe(false);
    expect(r.data().status).toBe('finished');
  });

  it('shows export latency p50/p99 of each window from the cumulative histograms, and the ratelimit stage', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source, { maxPoints: 2 });
    // 10 requests in (1.5, 2] ms, then 10 more in (300, 500] ms.
    const fast = histogram({ 2: 10 });
    const slow = histogram({ 2: 10, 16: 10 });
    source.pipelines = [pipeline({ pipeline: 'a', sendingMs: 1000, stage: 0, latency: { otlp_grpc: fast } }), pipeline({ pipeline: 'b' })];
    tick();
    let [a, b] = r.data().pipelines;
    expect([a!.now.latency_p50_ms, a!.now.latency_p99_ms, a!.now.stage]).toEqual([1.75, 1.995, 0]);
    expect([b!.now.latency_p50_ms, b!.now.latency_p99_ms, b!.now.stage]).toEqual([null, null, null]);
    source.pipelines = [pipeline({ pipeline: 'a', sendingMs: 2000, stage: 1, latency: { otlp_grpc: slow } })];
    tick();
    [a] = r.data().pipelines;
    // The second window holds only the slow requests.
    expect([a!.now.latency_p50_ms, a!.now.latency_p99_ms, a!.now.stage]).toEqual([400, 498, 1]);
    source.pipelines = [pipeline({ pipeline: 'a', sendingMs: 3000, stage: 1, latency: { otlp_grpc: slow, otlp_http: histogram({ 2: 20 }) } })];
    tick();
    // maxPoints 2: the first two points were merged; their percentiles are those of both windows' requests.
    const merged = r.data().pipelines[0]!.points[0]!;
    expect(merged.seq).toBe(2);
    expect([merged.latency_p50_ms, merged.latency_p99_ms]).toEqual([2, 496]);
    // Exporters are added up: the third window has 20 fast requests from the second exporter.
    expect(r.data().pipelines[0]!.points[1]!.latency_p50_ms).toBe(1.75);
  });

  it('stays within maxPoints over a long run by merging neighbours, keeping the whole run and exact average rates', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source, { maxPoints: 10 });
    // 1000 events/s for 50 s, then 3000 events/s for 50 s.
    let sent = 0;
    for (let s = 1; s <= 100; s++) {
      sent += s <= 50 ? 1000 : 3000;
      source.pipelines = [pipeline({ pipeline: 'traces', sendingMs: s * 1000, exporters: { otlp_grpc: counters({ sentEvents: sent, inFlight: s === 37 ? 99 : 1 }) } })];
      tick();
      expect(r.data().pipelines[0]!.points.length).toBeLessThanOrEqual(10);
    }
    r.finish();
    const d = r.data();
    const points = d.pipelines[0]!.points;
    expect(d.epoch).toBeGreaterThan(0);
    expect(d.interval_s).toBe(2 ** d.epoch);
    expect(points.at(-1)!.sent).toBe(sent);
    // Evenly spaced, and every point's rate is the exact average over its window.
    let before = { sent: 0, sending_s: 0 };
    for (const p of points) {
      expect(p.rate).toBeCloseTo((p.sent - before.sent) / (p.sending_s - before.sending_s), 1);
      before = p;
    }
    expect(points[0]!.rate).toBe(1000);
    expect(points.at(-2)!.rate).toBe(3000);
    // The in-flight peak survives the merges.
    expect(Math.max(...points.map((p) => p.in_flight))).toBe(99);
  });

  it('gives a reader only the points after its cursor, and all of them again after a halving', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source, { maxPoints: 4 });
    source.pipelines = [pipeline({ pipeline: 'traces' })];
    tick();
    tick();
    const first = r.data();
    tick();
    const next = r.data({ epoch: first.epoch, seq: first.seq });
    expect(next.pipelines[0]!.points.map((p) => p.seq)).toEqual([3]);
    tick();
    tick();
    const halved = r.data({ epoch: first.epoch, seq: next.seq });
    expect(halved.epoch).toBe(1);
    expect(halved.pipelines[0]!.points.map((p) => p.seq)).toEqual([2, 4, 5]);
  });

  it('records what the sink received per signal as events per second of wall time', () => {
    const source = new FakeSource();
    const counts = emptyCounts();
    const { r, tick } = recorder(source, { sink: () => structuredClone(counts) });
    counts.traces.events = 5000;
    counts.logs.events = 100;
    tick(500);
    counts.traces.events = 8000;
    tick(1500);
    const sink = r.data().sink!;
    expect(sink.points.map((p) => p.per_s)).toEqual([
      { traces: 10000, metrics: 0, logs: 200 },
      { traces: 2000, metrics: 0, logs: 0 },
    ]);
    expect(sink.counts.traces.events).toBe(8000);
  });

  it('logs and skips a sample whose snapshot throws', () => {
    const source = new FakeSource();
    const { r, tick } = recorder(source);
    source.fail = new Error('boom');
    tick();
    expect(r.data().seq).toBe(0);
  });
});
