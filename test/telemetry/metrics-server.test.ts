import { createServer } from 'node:net';
import pino from 'pino';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { MetricsServer } from '../../src/telemetry/metrics-server.js';
import { LatencyHistogram } from '../../src/worker/latency-histogram.js';
import type { HealthStatus } from '../../src/telemetry/source.js';
import { parseSamples, value } from '../helpers/prometheus.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

const servers: MetricsServer[] = [];
const silent = pino({ level: 'silent' });

async function serve(source: FakeSource, address = '127.0.0.1:0') {
  const server = new MetricsServer({ source, log: silent, address });
  servers.push(server);
  const bound = await server.start();
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`http://${bound}${path}`, init);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  const scrape = async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    return parseSamples(res.body);
  };
  return { bound, get, scrape };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const G = { pipeline: 'traces/replay', exporter: 'otlp_grpc', signal: 'traces' };

describe('MetricsServer /metrics', () => {
  it('exposes every counter and gauge with pipeline, exporter and signal labels', async () => {
    const source = new FakeSource();
    source.reloadCounts = { succeeded: 2, failed: 1 };
    source.pipelines = [pipeline({
      pipeline: 'traces/replay', rateTarget: 50_000, sendingMs: 4000,
      exporters: { otlp_grpc: counters({
        sentEvents: 8000, sentBytes: 123_456, sentUncompressedBytes: 654_321, sentFrames: 80, failedEvents: 11, rejectedEvents: 12,
        droppedEvents: 13, unparsedResponses: 15, retries: 14, inFlight: 3,
      }) },
    })];
    const { bound, get, scrape } = await serve(source);
    expect(bound).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await get('/metrics')).type).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = await scrape();
    expect(value(s, 'otel_replayd_sent_events_total', G)).toBe(8000);
    expect(value(s, 'otel_replayd_sent_bytes_total', G)).toBe(123_456);
    expect(value(s, 'otel_replayd_sent_uncompressed_bytes_total', G)).toBe(654_321);
    expect(value(s, 'otel_replayd_unparsed_responses_total', G)).toBe(15);
    expect(value(s, 'otel_replayd_sent_requests_total', G)).toBe(80);
    expect(value(s, 'otel_replayd_failed_events_total', G)).toBe(11);
    expect(value(s, 'otel_replayd_rejected_events_total', G)).toBe(12);
    expect(value(s, 'otel_replayd_dropped_events_total', G)).toBe(13);
    expect(value(s, 'otel_replayd_retries_total', G)).toBe(14);
    expect(value(s, 'otel_replayd_in_flight_requests', G)).toBe(3);
    expect(value(s, 'otel_replayd_rate_target_events_per_second', { pipeline: 'traces/replay', signal: 'traces' })).toBe(50_000);
    // First scrape: no earlier window yet, so the overall rate.
    expect(value(s, 'otel_replayd_rate_achieved_events_per_second', { pipeline: 'traces/replay' })).toBe(2000);
    expect(value(s, 'otel_replayd_pipeline_up', { pipeline: 'traces/replay', signal: 'traces', state: 'running' })).toBe(1);
    expect(value(s, 'otel_replayd_reloads_total', { outcome: 'success' })).toBe(2);
    expect(value(s, 'otel_replayd_reloads_total', { outcome: 'failure' })).toBe(1);
    // prom-client's default process metrics, in our registry.
    expect(value(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(s, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
    // Counters carry TYPE counter.
    expect((await get('/metrics')).body).toContain('# TYPE otel_replayd_sent_events_total counter');
  });

  it('uses its own registry, not prom-client global one', async () => {
    await serve(new FakeSource());
    expect(globalRegistry.getSingleMetric('otel_replayd_sent_events_total')).toBeUndefined();
    // A second server in the same process registers the same names without conflict.
    await serve(new FakeSource());
  });

  it('keeps counters monotonic across snapshots, also when a pipeline restarts from zero', async () => {
    const source = new FakeSource();
    const at = (sendingMs: number, sentEvents: number, retries: number) =>
      [pipeline({ pipeline: 'traces/replay', sendingMs, exporters: { otlp_grpc: counters({ sentEvents, retries }) } })];
    source.pipelines = at(1000, 1000, 1);
    const { scrape } = await serve(source);
    expect(value(await scrape(), 'otel_replayd_sent_events_total', G)).toBe(1000);
    source.pipelines = at(3000, 7000, 4);
    let s = await scrape();
    expect(value(s, 'otel_replayd_sent_events_total', G)).toBe(7000);
    expect(value(s, 'otel_replayd_rate_achieved_events_per_second', { pipeline: 'traces/replay' })).toBe(3000);
    // Same numbers again: nothing added.
    expect(value(await scrape(), 'otel_replayd_sent_events_total', G)).toBe(7000);
    // Restarted by a reload: the snapshot starts from zero, the counter goes on.
    source.pipelines = at(500, 200, 0);
    s = await scrape();
    expect(value(s, 'otel_replayd_sent_events_total', G)).toBe(7200);
    expect(value(s, 'otel_replayd_retries_total', G)).toBe(4);
  });

  it('keeps the achieved rate of the last full window for scrapes less than a second apart', async () => {
    const source = new FakeSource();
    const at = (sendingMs: number, sentEvents: number) =>
      [pipeline({ pipeline: 'traces/replay', sendingMs, exporters: { otlp_grpc: counters({ sentEvents }) } })];
    source.pipelines = at(1000, 500);
    const { scrape } = await serve(source);
    const rate = async () => value(await scrape(), 'otel_replayd_rate_achieved_events_per_second', { pipeline: 'traces/replay' });
    expect(await rate()).toBe(500);
    source.pipelines = at(1400, 2500);
    expect(await rate()).toBe(500);
    source.pipelines = at(2000, 4500);
    expect(await rate()).toBe(4000);
  });

  it('reports stopped pipelines as down with zero rate and no rate target without ratelimit', async () => {
    const source = new FakeSource();
    source.pipelines = [
      pipeline({ pipeline: 'logs/done', signal: 'logs', state: 'stopped', sendingMs: 1000, exporters: { otlp_http: counters({ sentEvents: 10 }) } }),
      pipeline({ pipeline: 'metrics/m', signal: 'metrics', state: 'draining', sendingMs: 1000 }),
    ];
    const { scrape } = await serve(source);
    const s = await scrape();
    expect(value(s, 'otel_replayd_pipeline_up', { pipeline: 'logs/done', state: 'stopped' })).toBe(0);
    expect(value(s, 'otel_replayd_pipeline_up', { pipeline: 'metrics/m', state: 'draining' })).toBe(0);
    expect(value(s, 'otel_replayd_rate_achieved_events_per_second', { pipeline: 'logs/done' })).toBe(0);
    expect(value(s, 'otel_replayd_sent_events_total', { pipeline: 'logs/done', exporter: 'otlp_http', signal: 'logs' })).toBe(10);
    expect(s.filter((x) => x.name === 'otel_replayd_rate_target_events_per_second')).toEqual([]);

    // A state change replaces the up series instead of leaving the old one behind.
    source.pipelines[1]!.state = 'running';
    const up = (await scrape()).filter((x) => x.name === 'otel_replayd_pipeline_up' && x.labels.pipeline === 'metrics/m');
    expect(up).toEqual([{ name: 'otel_replayd_pipeline_up', labels: { pipeline: 'metrics/m', signal: 'metrics', state: 'running' }, value: 1 }]);
  });

  it('exposes export latency as a histogram in seconds from the buckets the workers counted', async () => {
    const h = new LatencyHistogram();
    for (const ms of [0.5, 4, 4, 120, 45_000]) h.record(ms);
    const source = new FakeSource();
    source.pipelines = [pipeline({ pipeline: 'traces/replay', latency: { otlp_grpc: h.snapshot() } })];
    const { get, scrape } = await serve(source);
    const s = await scrape();
    const bucket = (le: string) => value(s, 'otel_replayd_export_latency_seconds_bucket', { ...G, le });
    expect(bucket('0.001')).toBe(1);
    expect(bucket('0.003')).toBe(1);
    expect(bucket('0.005')).toBe(3);
    expect(bucket('0.15')).toBe(4);
    expect(bucket('30')).toBe(4);
    expect(bucket('+Inf')).toBe(5);
    expect(value(s, 'otel_replayd_export_latency_seconds_count', G)).toBe(5);
    expect(value(s, 'otel_replayd_export_latency_seconds_sum', G)).toBeCloseTo(45.1285, 6);
    expect((await get('/metrics')).body).toContain('# TYPE otel_replayd_export_latency_seconds histogram');
  });

  it('exposes the ratelimit stage in progress, only for pipelines with stages', async () => {
    const source = new FakeSource();
    source.pipelines = [
      pipeline({ pipeline: 'traces/ramp', rateTarget: 12_345.5, stage: 2 }),
      pipeline({ pipeline: 'traces/flat', rateTarget: 1000 }),
    ];
    const { scrape } = await serve(source);
    const s = await scrape();
    expect(value(s, 'otel_replayd_rate_stage', { pipeline: 'traces/ramp' })).toBe(2);
    expect(value(s, 'otel_replayd_rate_target_events_per_second', { pipeline: 'traces/ramp' })).toBe(12_345.5);
    expect(value(s, 'otel_replayd_rate_stage', { pipeline: 'traces/flat' })).toBeUndefined();
  });

  it('answers 500 when the snapshot fails and keeps serving', async () => {
    const source = new FakeSource();
    source.fail = new Error('boom');
    const { get } = await serve(source);
    expect((await get('/metrics')).status).toBe(500);
    source.fail = undefined;
    expect((await get('/metrics')).status).toBe(200);
  });
});

describe('MetricsServer /healthz and routing', () => {
  it.each<[HealthStatus, number]>([['running', 200], ['waiting', 200], ['starting', 503], ['reloading', 503], ['draining', 503]])(
    'healthz while %s answers %i with the status',
    async (status, code) => {
      const source = new FakeSource();
      source.status = status;
      const { get } = await serve(source);
      const res = await get('/healthz');
      expect(res.status).toBe(code);
      expect(res.type).toBe('application/json');
      expect(JSON.parse(res.body)).toEqual({ status });
    },
  );

  it('answers 404 elsewhere, 405 to other methods and HEAD without a body', async () => {
    const { get } = await serve(new FakeSource());
    expect((await get('/')).status).toBe(404);
    expect((await get('/metricsx')).status).toBe(404);
    expect((await get('/healthz?verbose=1')).status).toBe(200);
    expect((await get('/metrics', { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await get('/healthz', { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('serves on IPv6 loopback and reports the bracketed address', async () => {
    const { bound, get } = await serve(new FakeSource(), '[::1]:0');
    expect(bound).toMatch(/^\[::1\]:\d+$/);
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('MetricsServer options and lifecycle', () => {
  it('rejects a malformed address with the config key path', () => {
    const make = () => new MetricsServer({ source: new FakeSource(), log: silent, address: 'localhost' });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/service\.telemetry\.metrics\.address/);
  });

  it('fails start() with ERR_METRICS_LISTEN naming the config key when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = new MetricsServer({ source: new FakeSource(), log: silent, address: `127.0.0.1:${port}` });
      await expect(server.start()).rejects.toMatchObject({ code: 'ERR_METRICS_LISTEN', message: `service.telemetry.metrics.address 127.0.0.1:${port}: address already in use` });
      await server.close();
    } finally {
      blocker.close();
    }
  });

  it('close() ends keep-alive connections and frees the port', async () => {
    const source = new FakeSource();
    const server = new MetricsServer({ source, log: silent, address: '127.0.0.1:0' });
    const bound = await server.start();
    expect((await fetch(`http://${bound}/healthz`)).status).toBe(200);
    await server.close();
    await expect(fetch(`http://${bound}/healthz`)).rejects.toThrow();
  });
});
