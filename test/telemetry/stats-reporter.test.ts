import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StatsReporter } from '../../src/telemetry/stats-reporter.js';
import { LatencyHistogram } from '../../src/worker/latency-histogram.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

type Line = Record<string, unknown> & { msg: string };

function setup(intervalMs = 1000, level = 'info') {
  const source = new FakeSource();
  const lines: Line[] = [];
  // A real pino logger writing to a destination the test reads.
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const reporter = new StatsReporter({ source, log, intervalMs });
  const stats = () => lines.filter((l) => l.msg === 'stats');
  return { source, lines, reporter, stats };
}

describe('StatsReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one stats line per pipeline per interval with overall and recent rates', () => {
    const { source, reporter, stats } = setup();
    source.pipelines = [pipeline({
      pipeline: 'traces/replay', rateTarget: 5000, sendingMs: 1000,
      exporters: { otlp_grpc: counters({ sentEvents: 1000, sentBytes: 2_000_000, failedEvents: 3, rejectedEvents: 4, droppedEvents: 5, retries: 6, inFlight: 7 }) },
    })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    expect(stats()).toHaveLength(1);
    expect(stats()[0]).toMatchObject({
      pipeline: 'traces/replay', signal: 'traces', state: 'running', sent_spans: 1000, failed: 3, rejected: 4,
      dropped: 5, retries: 6, in_flight: 7, rate: 1000, recent_rate: 1000, mb_per_s: 2, rate_target: 5000,
    });
    expect(stats()[0]).not.toHaveProperty('exporters');

    // 2s later by the pipeline's clock: 6000 more spans and 3 MB → overall 7000/3s, recent 3000/s.
    source.pipelines[0]!.sendingMs = 3000;
    source.pipelines[0]!.exporters.otlp_grpc = counters({ sentEvents: 7000, sentBytes: 5_000_000, inFlight: 2 });
    vi.advanceTimersByTime(1000);
    expect(stats()).toHaveLength(2);
    expect(stats()[1]).toMatchObject({ sent_spans: 7000, rate: 2333.3, recent_rate: 3000, mb_per_s: 1.5, in_flight: 2 });
    reporter.stop();
  });

  it('names sent events by the signal unit and breaks down several exporters', () => {
    const { source, reporter, stats } = setup();
    source.pipelines = [
      pipeline({
        pipeline: 'metrics/two', signal: 'metrics', sendingMs: 2000,
        exporters: {
          'otlp_grpc/a': counters({ sentEvents: 300, failedEvents: 1, inFlight: 1 }),
          'otlp_http/b': counters({ sentEvents: 100, rejectedEvents: 2, retries: 4 }),
        },
      }),
      pipeline({ pipeline: 'logs/one', signal: 'logs', sendingMs: 2000, exporters: { otlp_http: counters({ sentEvents: 50 }) } }),
    ];
    reporter.start();
    vi.advanceTimersByTime(1000);
    const [m, l] = stats();
    expect(m).toMatchObject({ pipeline: 'metrics/two', sent_points: 400, failed: 1, rejected: 2, retries: 4, in_flight: 1, rate: 200, rate_target: null });
    expect(m!.exporters).toEqual({
      'otlp_grpc/a': { sent_points: 300, failed: 1, rejected: 0, dropped: 0, unparsed_responses: 0, retries: 0, in_flight: 1, latency_p50_ms: null, latency_p99_ms: null },
      'otlp_http/b': { sent_points: 100, failed: 0, rejected: 2, dropped: 0, unparsed_responses: 0, retries: 4, in_flight: 0, latency_p50_ms: null, latency_p99_ms: null },
    });
    expect(l).toMatchObject({ pipeline: 'logs/one', signal: 'logs', sent_logs: 50, rate: 25 });
    expect(l).not.toHaveProperty('exporters');
    expect(m).not.toHaveProperty('sent_spans');
    reporter.stop();
  });

  it('gives a stopped pipeline one last line, then keeps it for the summary only', () => {
    const { source, reporter, stats, lines } = setup();
    source.pipelines = [
      pipeline({ pipeline: 'traces/a', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 100 }) } }),
      pipeline({ pipeline: 'traces/b', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 10 }) } }),
    ];
    reporter.start();
    vi.advanceTimersByTime(1000);
    source.pipelines[0] = pipeline({ pipeline: 'traces/a', state: 'stopped', sendingMs: 1500, exporters: { otlp_grpc: counters({ sentEvents: 150 }) } });
    source.pipelines[1]!.sendingMs = 2000;
    vi.advanceTimersByTime(1000);
    // traces/b is removed from the snapshot altogether (e.g. by a reload).
    source.pipelines = [source.pipelines[0]!];
    vi.advanceTimersByTime(2000);
    reporter.stop();

    expect(stats().map((l) => `${String(l.pipeline)}:${String(l.state)}`)).toEqual([
      'traces/a:running', 'traces/b:running', 'traces/a:stopped', 'traces/b:running',
    ]);
    const summary = reporter.summary();
    expect(summary.map((s) => [s.pipeline, s.state, s.sent])).toEqual([['traces/a', 'stopped', 150], ['traces/b', 'running', 10]]);
    expect(lines.filter((l) => l.msg === 'summary').map((l) => l.sent_spans)).toEqual([150, 10]);
  });

  it.each(['warn', 'silent'])('logs the summary, and only the summary, when the log level is %s', (level) => {
    const { source, reporter, lines } = setup(1000, level);
    source.pipelines = [pipeline({ pipeline: 'traces/a', uptimeMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 100 }) } })];
    reporter.start();
    vi.advanceTimersByTime(3000);
    reporter.stop();
    reporter.summary();
    expect(lines.map((l) => [l.msg, l.sent_spans])).toEqual([['summary', 100]]);
  });

  it('summary returns and logs totals with the overall rate', () => {
    const { source, reporter, lines } = setup();
    source.pipelines = [pipeline({
      pipeline: 'traces/replay', workers: 2, cycles: 9, rateTarget: 1000, sendingMs: 4000,
      exporters: { otlp_grpc: counters({
        sentEvents: 4000, sentBytes: 8_000_000, sentUncompressedBytes: 20_000_000, sentFrames: 40, failedEvents: 20, failedFrames: 2,
        rejectedEvents: 1, droppedEvents: 3, unparsedResponses: 6, retries: 5,
      }) },
    })];
    const [s] = reporter.summary();
    expect(s).toMatchObject({
      pipeline: 'traces/replay', signal: 'traces', unit: 'spans', state: 'running', workers: 2, cycles: 9,
      sent: 4000, sentBytes: 8_000_000, sentUncompressedBytes: 20_000_000, sentRequests: 40, failed: 20, failedRequests: 2, rejected: 1,
      dropped: 3, unparsedResponses: 6, retries: 5,
      durationMs: 4000, rate: 1000, mbPerS: 2, rateTarget: 1000,
    });
    const line = lines.find((l) => l.msg === 'summary');
    expect(line).toMatchObject({
      pipeline: 'traces/replay', sent_spans: 4000, sent_bytes: 8_000_000, sent_uncompressed_bytes: 20_000_000, sent_requests: 40,
      failed: 20, failed_requests: 2, rejected: 1, dropped: 3, unparsed_responses: 6, retries: 5, cycles: 9, duration_s: 4, rate: 1000, mb_per_s: 2, rate_target: 1000,
    });
  });

  it('reports export latency p50/p99 over each stats interval and over the whole run in the summary', () => {
    const { source, reporter, stats, lines } = setup();
    const h = new LatencyHistogram();
    for (let i = 0; i < 100; i++) h.record(4); // (3, 5] ms
    source.pipelines = [pipeline({ pipeline: 'traces/replay', sendingMs: 1000, latency: { otlp_grpc: h.snapshot() } })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    expect(stats()[0]).toMatchObject({ latency_p50_ms: 4, latency_p99_ms: 4.98 });
    // The next interval's requests all took (1, 1.5] s.
    for (let i = 0; i < 100; i++) h.record(1200);
    source.pipelines[0]!.latency = { otlp_grpc: h.snapshot() };
    source.pipelines[0]!.sendingMs = 2000;
    vi.advanceTimersByTime(1000);
    expect(stats()[1]).toMatchObject({ latency_p50_ms: 1250, latency_p99_ms: 1495 });
    // No request ended in this interval: no latency to report.
    source.pipelines[0]!.sendingMs = 3000;
    vi.advanceTimersByTime(1000);
    expect(stats()[2]).toMatchObject({ latency_p50_ms: null, latency_p99_ms: null });
    reporter.stop();
    const [s] = reporter.summary();
    expect(s!.latencyP50Ms).toBe(5);
    expect(s!.latencyP99Ms).toBeCloseTo(1490, 6);
    expect(lines.find((l) => l.msg === 'summary')).toMatchObject({ latency_p50_ms: 5, latency_p99_ms: 1490 });
  });

  it('shows the current rate target and, with stages, the stage in progress', () => {
    const { source, reporter, stats } = setup();
    source.pipelines = [
      pipeline({ pipeline: 'traces/ramp', sendingMs: 1000, rateTarget: 12_345.678, stage: 1 }),
      pipeline({ pipeline: 'traces/flat', sendingMs: 1000, rateTarget: 1000 }),
    ];
    reporter.start();
    vi.advanceTimersByTime(1000);
    reporter.stop();
    expect(stats()[0]).toMatchObject({ rate_target: 12_345.7, stage: 1 });
    expect(stats()[1]).toMatchObject({ rate_target: 1000 });
    expect(stats()[1]).not.toHaveProperty('stage');
  });

  it('keeps totals growing when a restarted pipeline reports from zero again', () => {
    const { source, reporter, stats } = setup();
    source.pipelines = [pipeline({ pipeline: 'traces/r', sendingMs: 2000, exporters: { otlp_grpc: counters({ sentEvents: 2000 }) } })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    // The counters start again from zero; the sending time is cumulative by contract.
    source.pipelines = [pipeline({ pipeline: 'traces/r', sendingMs: 3000, exporters: { otlp_grpc: counters({ sentEvents: 500 }) } })];
    vi.advanceTimersByTime(1000);
    reporter.stop();
    expect(stats()[1]).toMatchObject({ sent_spans: 2500, rate: 833.3, recent_rate: 500 });
    expect(reporter.summary()[0]).toMatchObject({ sent: 2500, durationMs: 3000 });
  });

  it('never moves the duration back when a snapshot reports less sending time than before', () => {
    const { source, reporter } = setup();
    source.pipelines = [pipeline({ pipeline: 'traces/s', sendingMs: 2000, exporters: { otlp_grpc: counters({ sentEvents: 2000 }) } })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    source.pipelines[0]!.sendingMs = 500;
    vi.advanceTimersByTime(1000);
    reporter.stop();
    expect(reporter.summary()[0]).toMatchObject({ sent: 2000, durationMs: 2000, rate: 1000 });
  });

  it('logs a failed snapshot and carries on', () => {
    const { source, reporter, stats, lines } = setup();
    source.fail = new Error('supervisor busy');
    reporter.start();
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'stats snapshot failed', level: 50 });
    source.fail = undefined;
    source.pipelines = [pipeline({ pipeline: 'traces/x', sendingMs: 1000 })];
    vi.advanceTimersByTime(1000);
    expect(stats()).toHaveLength(1);
    reporter.stop();
  });

  it('labels every stats and summary line with the replica and the run, so replicas can be merged', () => {
    const { source, reporter, stats, lines } = setup();
    reporter.replica = { index: 2, count: 4, runId: 'run-1' };
    source.pipelines = [pipeline({ pipeline: 'traces' })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    reporter.summary();
    expect(stats()[0]).toMatchObject({ replica: 2, replicas: 4, run_id: 'run-1', pipeline: 'traces' });
    expect(lines.find((l) => l.msg === 'summary')).toMatchObject({ replica: 2, replicas: 4, run_id: 'run-1' });
    reporter.stop();
  });

  it('says a pipeline is waiting for service.start_at, and how long until it starts', () => {
    const { source, reporter, stats } = setup();
    source.pipelines = [pipeline({ pipeline: 'traces', state: 'waiting', startsInMs: 12_345 })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    expect(stats()[0]).toMatchObject({ state: 'waiting', starts_in_s: 12.3, sent_spans: 0 });
    source.pipelines = [pipeline({ pipeline: 'traces' })];
    vi.advanceTimersByTime(1000);
    expect(stats()[1]).toMatchObject({ state: 'running' });
    expect(stats()[1]).not.toHaveProperty('starts_in_s');
    reporter.stop();
  });

  it('logs nothing after stop()', () => {
    const { source, reporter, lines } = setup(500);
    source.pipelines = [pipeline({ pipeline: 'traces/x', sendingMs: 1000 })];
    reporter.start();
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    reporter.stop();
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
  });

  it('validates its options', () => {
    const log = pino({ level: 'silent' });
    const source = new FakeSource();
    expect(() => new StatsReporter({ source, log, intervalMs: 0 })).toThrow(/intervalMs must be a positive number/);
    expect(() => new StatsReporter({ source, log, intervalMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => new StatsReporter({ source: {} as FakeSource, log, intervalMs: 1000 })).toThrow(/TelemetrySource/);
  });
});
