import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { requestType } from '../../src/otlp/proto.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data } from '../compile/fixtures.js';
import { harness, NOW_MS } from '../processors/harness.js';

const S = 1_000_000_000;
const ns = (v: any): bigint => BigInt(v.toString());
const num = (v: any): number => Number(v.toString());
const kv = (k: string, v: string): object => ({ key: k, value: { stringValue: v } });

/** One template with every kind of metric the continuity stamps. */
const template = data('metrics', {
  resourceMetrics: [{
    resource: { attributes: [kv('service.name', 'svc')] },
    scopeMetrics: [{
      metrics: [
        { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [
          { attributes: [kv('route', 'a')], startTimeUnixNano: 0, timeUnixNano: S, asInt: 5 },
          { attributes: [kv('route', 'b')], startTimeUnixNano: 0, timeUnixNano: S, asDouble: 2.5 },
        ] } },
        // one series recorded twice: it grows by last − first = 60 per cycle
        { name: 'recorded', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [
          { startTimeUnixNano: 0, timeUnixNano: S, asInt: 100 },
          { startTimeUnixNano: 0, timeUnixNano: 2 * S, asInt: 160 },
        ] } },
        { name: 'bytes', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [
          { startTimeUnixNano: 0, timeUnixNano: S, asInt: 3 },
          { startTimeUnixNano: S, timeUnixNano: 2 * S, asInt: 4 },
        ] } },
        { name: 'temp', gauge: { dataPoints: [10, 20, 15].map((v, i) => ({ timeUnixNano: i * S, asDouble: v })) } },
        { name: 'latency', histogram: { aggregationTemporality: 2, dataPoints: [
          { startTimeUnixNano: 0, timeUnixNano: S, count: 6, sum: 12.5, bucketCounts: [1, 2, 3], explicitBounds: [1, 2], min: 0.5, max: 4 },
        ] } },
        { name: 'sizes', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [
          { startTimeUnixNano: 0, timeUnixNano: S, count: 4, sum: 8, scale: 1, zeroCount: 1, positive: { offset: 2, bucketCounts: [1, 2] }, negative: { offset: -1, bucketCounts: [300] } },
        ] } },
        { name: 'rpc', summary: { dataPoints: [
          { startTimeUnixNano: 0, timeUnixNano: S, count: 3, sum: 9, quantileValues: [{ quantile: 0.5, value: 2 }] },
        ] } },
      ],
    }],
  }],
});

const metricsOf = (req: any): Record<string, any> => Object.fromEntries(req.resourceMetrics[0].scopeMetrics[0].metrics.map((m: any) => [m.name, m]));

const plain = (req: any): any => requestType('metrics').toObject(req, { longs: String, bytes: String });

/** Cycles 0..n−1 of the template through `timestamp` with these keys, decoded from proto (JSON must say the same). */
function cycles(n: number, keys: object = {}): Record<string, any>[] {
  const h = harness(template, [['timestamp', { metrics_interval: '10s', ...keys }]]);
  return Array.from({ length: n }, (_, c) => {
    const { proto, json } = h.cycle(c);
    expect(proto).toHaveLength(1);
    expect(plain(json[0])).toEqual(plain(proto[0]));
    return metricsOf(proto[0]);
  });
}

describe('metrics continuity (timestamp continuity: true)', () => {
  const run = cycles(5);

  it('keeps one start time per cumulative series and grows its value by the template\'s value every cycle', () => {
    const starts = new Set(run.map((m) => ns(m.requests.sum.dataPoints[0].startTimeUnixNano)));
    expect(starts.size).toBe(1);
    expect(run.map((m) => num(m.requests.sum.dataPoints[0].asInt))).toEqual([5, 10, 15, 20, 25]);
    expect(run.map((m) => m.requests.sum.dataPoints[1].asDouble)).toEqual([2.5, 5, 7.5, 10, 12.5]);
  });

  it('grows a series the template holds several points of by last − first, never decreasing', () => {
    const values = run.flatMap((m) => m.recorded.sum.dataPoints.map((p: any) => num(p.asInt)));
    expect(values).toEqual([100, 160, 160, 220, 220, 280, 280, 340, 340, 400]);
    const starts = new Set(run.flatMap((m) => m.recorded.sum.dataPoints.map((p: any) => ns(p.startTimeUnixNano))));
    expect(starts.size).toBe(1);
  });

  it('spaces a series\' points at least metrics_interval apart across cycles, so no two share a time', () => {
    const times = run.flatMap((m) => m.recorded.sum.dataPoints.map((p: any) => ns(p.timeUnixNano)));
    for (let i = 1; i < times.length; i++) expect(times[i]! > times[i - 1]!).toBe(true);
    // the template's points span 2 s (the gauge's): a cycle advances 10 s + that span,
    // so this series' last point of a cycle and first of the next are 11 s apart
    expect(times[2]! - times[0]!).toBe(12n * BigInt(S));
    expect(times[2]! - times[1]!).toBe(11n * BigInt(S));
  });

  it('chains delta points: each starts where the series\' previous point ended, also across cycles', () => {
    const points = run.flatMap((m) => m.bytes.sum.dataPoints);
    for (let i = 1; i < points.length; i++) expect(ns(points[i].startTimeUnixNano)).toBe(ns(points[i - 1].timeUnixNano));
    expect(points.map((p: any) => num(p.asInt))).toEqual([3, 4, 3, 4, 3, 4, 3, 4, 3, 4]);
  });

  it('walks a gauge within the template\'s range of that series', () => {
    const values = run.flatMap((m) => m.temp.gauge.dataPoints.map((p: any) => p.asDouble));
    expect(values.slice(0, 3)).toEqual([10, 20, 15]);
    for (const v of values) expect(v >= 10 && v <= 20, String(v)).toBe(true);
    expect(new Set(values.slice(3)).size).toBeGreaterThan(1);
  });

  it('grows histograms, exponential histograms and summaries: counts, sums and every bucket', () => {
    run.forEach((m, c) => {
      const k = c + 1;
      const h = m.latency.histogram.dataPoints[0];
      expect([num(h.count), h.sum, h.bucketCounts.map(num), h.min, h.max]).toEqual([6 * k, 12.5 * k, [k, 2 * k, 3 * k], 0.5, 4]);
      const e = m.sizes.exponentialHistogram.dataPoints[0];
      expect([num(e.count), e.sum, num(e.zeroCount), e.positive.bucketCounts.map(num), e.negative.bucketCounts.map(num), e.positive.offset, e.scale])
        .toEqual([4 * k, 8 * k, k, [k, 2 * k], [300 * k], 2, 1]);
      const s = m.rpc.summary.dataPoints[0];
      expect([num(s.count), s.sum, s.quantileValues[0].value]).toEqual([3 * k, 9 * k, 2]);
    });
    expect(new Set(run.map((m) => ns(m.latency.histogram.dataPoints[0].startTimeUnixNano))).size).toBe(1);
  });

  it('tells the senders of a pipeline apart with a resource attribute when there are several', () => {
    const h = harness(template, [['timestamp', {}]], { worker: 1, workers: 2 });
    const attrs = h.cycle(0).proto[0].resourceMetrics[0].resource.attributes;
    expect(attrs.find((a: any) => a.key === 'replayd.sender')?.value.stringValue).toBe('0.1');
  });
});

describe('Stamper.dueAt with continuity', () => {
  it('is 0 for the first cycle, then when the next cycle\'s times stop being in the future: interval + span (+ jitter) on', () => {
    const compiled = compile([template], { idRegen: false, timestamps: true, continuity: true, encodings: ['proto'] });
    const st = new Stamper(compiled, { seed: [1, 2], worker: 0, backdateMs: 1000, metricsIntervalMs: 10_000, now: () => NOW_MS });
    const buf = Buffer.alloc(compiled.maxFrameBytes);
    expect(st.dueAt()).toBe(0);
    st.stamp(0, 'proto', buf);
    st.beginCycle(1);
    // the cycle's base was now − backdate; the template spans 2 s; the wall clock must pass base + 12 s + backdate
    expect(st.dueAt()).toBe(NOW_MS + 12_000);
    st.drawJitter(50);
    expect(st.dueAt()).toBe(NOW_MS + 12_050);
  });
});

describe('metrics without continuity (continuity: false)', () => {
  it('replays the template\'s values every cycle, as before', () => {
    const run = cycles(3, { continuity: false });
    expect(run.map((m) => num(m.requests.sum.dataPoints[0].asInt))).toEqual([5, 5, 5]);
    expect(run.map((m) => m.latency.histogram.dataPoints[0].bucketCounts.map(num))).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  });
});
