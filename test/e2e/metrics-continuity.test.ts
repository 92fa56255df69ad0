import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { cliKilledAfterEach, tempDir, writeConfig } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { writeTemplate } from '../helpers/templates.js';

const runCli = cliKilledAfterEach();
const startSink = sinksClosedAfterEach();

/** An OTLP/HTTP endpoint on loopback keeping every metrics request it accepts, decoded, in arrival order. */
let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});
async function capture(): Promise<{ url: string; requests: any[] }> {
  const requests: any[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      requests.push(requestType('metrics').decode(Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const S = 1_000_000_000;
const kv = (k: string, v: string): object => ({ key: k, value: { stringValue: v } });

/** A recorded-looking template: a counter seen twice 1 s apart, a histogram, a delta sum, a gauge and an exponential histogram. */
function template(dir: string): string {
  return writeTemplate(dir, 'metrics', requestType('metrics').fromObject({
    resourceMetrics: [{ resource: { attributes: [kv('service.name', 'shop')] }, scopeMetrics: [{ metrics: [
      { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [
        { attributes: [kv('route', '/a')], startTimeUnixNano: 0, timeUnixNano: 0, asInt: 10 },
        { attributes: [kv('route', '/a')], startTimeUnixNano: 0, timeUnixNano: S, asInt: 20 },
      ] } },
      { name: 'latency', histogram: { aggregationTemporality: 2, dataPoints: [
        { startTimeUnixNano: 0, timeUnixNano: S, count: 6, sum: 3, bucketCounts: [1, 2, 3], explicitBounds: [0.1, 1] },
      ] } },
      { name: 'bytes', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ startTimeUnixNano: 0, timeUnixNano: S, asInt: 512 }] } },
      { name: 'temperature', gauge: { dataPoints: [{ timeUnixNano: 0, asDouble: 10 }, { timeUnixNano: S, asDouble: 20 }] } },
      // bucket counts are varints on the wire: compile pads them so they can grow in place
      { name: 'sizes', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [
        { startTimeUnixNano: 0, timeUnixNano: S, count: 3, sum: 7, scale: 2, zeroCount: 0, positive: { offset: 1, bucketCounts: [1, 2] } },
      ] } },
    ] }] }],
  }));
}

/** Every point that arrived, per metric name, in arrival order, with its resource's replayd.sender. */
function pointsOf(requests: any[]): Map<string, { sender?: string; p: any }[]> {
  const out = new Map<string, { sender?: string; p: any }[]>();
  for (const req of requests) {
    for (const rm of req.resourceMetrics) {
      const sender = rm.resource.attributes.find((a: any) => a.key === 'replayd.sender')?.value.stringValue;
      for (const m of rm.scopeMetrics[0].metrics) {
        const list = out.get(m.name) ?? [];
        for (const p of (m.sum ?? m.gauge ?? m.histogram ?? m.exponentialHistogram).dataPoints) list.push({ sender, p });
        out.set(m.name, list);
      }
    }
  }
  return out;
}

const ns = (v: any): bigint => BigInt(v.toString());
const num = (v: any): number => Number(v.toString());

async function replay(timestamp: string, opts: { loops: number; workers?: number; rate?: number }) {
  const dir = tempDir();
  const sink = await startSink({ http: '127.0.0.1:0', verify: true });
  const cap = await capture();
  const cfg = writeConfig(dir, `
receivers:
  template/m: { metrics: ${template(dir)}, loops: ${opts.loops} }
processors:
  timestamp: ${timestamp}
  ratelimit: { events_per_second: ${opts.rate ?? 1_000_000} }
exporters:
  # one request at a time, so each endpoint gets a series' points in the order they were sent
  otlp_http/sink: { endpoint: http://${sink.httpAddress}, max_in_flight: 1 }
  otlp_http/capture: { endpoint: ${cap.url}, max_in_flight: 1 }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    metrics: { receivers: [template/m], processors: [timestamp${opts.rate ? ', ratelimit' : ''}], exporters: [otlp_http/sink, otlp_http/capture], workers: ${opts.workers ?? 1} }
`);
  const d = runCli(['--config', cfg]);
  expect(await d.exited, d.stderr()).toBe(0);
  return { points: pointsOf(cap.requests), verification: (await sink.verification())!, received: sink.counts().metrics.events, lines: d.lines };
}

describe('metrics continuity, end to end through the sink', () => {
  it('replays 5 cycles as one live series each: counters grow from one start, deltas chain, the gauge stays in range, no time twice', async () => {
    const { points, verification, received } = await replay('{ metrics_interval: 300ms }', { loops: 5 });
    const requests = points.get('requests')!.map(({ p }) => p);
    expect(requests).toHaveLength(10);
    expect(new Set(requests.map((p) => ns(p.startTimeUnixNano))).size).toBe(1);
    expect(requests.map((p) => num(p.asInt))).toEqual([10, 20, 20, 30, 30, 40, 40, 50, 50, 60]);
    const times = requests.map((p) => ns(p.timeUnixNano));
    // points of the series at least metrics_interval apart: no two at one time
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]! >= 300_000_000n, `${i}`).toBe(true);

    const latency = points.get('latency')!.map(({ p }) => p);
    expect(latency.map((p) => num(p.count))).toEqual([6, 12, 18, 24, 30]);
    expect(latency.map((p) => p.bucketCounts.map(num))).toEqual([1, 2, 3, 4, 5].map((k) => [k, 2 * k, 3 * k]));
    expect(new Set(latency.map((p) => ns(p.startTimeUnixNano))).size).toBe(1);

    const bytes = points.get('bytes')!.map(({ p }) => p);
    for (let i = 1; i < bytes.length; i++) expect(ns(bytes[i].startTimeUnixNano)).toBe(ns(bytes[i - 1].timeUnixNano));

    const temperature = points.get('temperature')!.map(({ p }) => p.asDouble);
    for (const t of temperature) expect(t >= 10 && t <= 20, String(t)).toBe(true);

    const sizes = points.get('sizes')!.map(({ p }) => [num(p.count), p.positive.bucketCounts.map(num)]);
    expect(sizes).toEqual([1, 2, 3, 4, 5].map((k) => [3 * k, [k, 2 * k]]));

    expect(received).toBe(5 * 7);
    expect(verification.checked.metrics).toBe(received);
    expect(verification.problems, JSON.stringify(verification.examples).slice(0, 2000)).toEqual({});
    expect(verification.series).toEqual({ tracked: 5, capacity: 500_000, evicted: 0 });
  });

  it('keeps two workers\' series apart, so neither looks like a reset of the other\'s', async () => {
    const { points, verification, lines } = await replay('{ metrics_interval: 300ms }', { loops: 3, workers: 2, rate: 1000 });
    // 7 points a cycle, a cycle every 1.3 s (300 ms + the template's 1 s): about 5 points/s per worker, far below 500
    const capped = lines.find((l) => String(l.msg).startsWith('timestamp continuity'));
    expect(capped).toMatchObject({ points_per_second_max: 5, rate_target: 500, metrics_interval_ms: 300 });
    expect(new Set(points.get('requests')!.map(({ sender }) => sender))).toEqual(new Set(['0.0', '0.1']));
    expect(verification.problems, JSON.stringify(verification.examples).slice(0, 2000)).toEqual({});
    expect(verification.series.tracked).toBe(2 * 5);
  });

  it('without continuity, the sink\'s checks find the resets, decreases and out-of-order times of a replay loop', async () => {
    const { verification } = await replay('{ continuity: false }', { loops: 5 });
    const p = verification.problems;
    expect(p.series_start_changed, JSON.stringify(p)).toBeGreaterThan(0);
    expect(p.counter_decrease, JSON.stringify(p)).toBeGreaterThan(0);
    expect((p.duplicate_series_time ?? 0) + (p.series_time_backwards ?? 0), JSON.stringify(p)).toBeGreaterThan(0);
  });
});
