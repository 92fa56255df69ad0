import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { Verifier } from '../../src/sink/verify.js';
import { toOtlpJson } from '../helpers/templates.js';

const NOW = BigInt(Date.now()) * 1_000_000n;
const S = 1_000_000_000n;
const kv = (k: string, v: string): object => ({ key: k, value: { stringValue: v } });

interface Pt { start: bigint; time: bigint; value: number; route?: string }

/** One request holding one point per metric: a monotonic cumulative sum, a delta sum and a histogram. */
function request(metrics: { name: string; kind: 'cumulative' | 'delta' | 'histogram' | 'gauge'; points: Pt[] }[], service = 'svc'): Uint8Array {
  return requestType('metrics').encode(requestType('metrics').fromObject({
    resourceMetrics: [{ resource: { attributes: [kv('service.name', service)] }, scopeMetrics: [{ scope: { name: 'lib' }, metrics: metrics.map(({ name, kind, points }) => {
      const dataPoints = points.map((p) => ({
        startTimeUnixNano: String(p.start), timeUnixNano: String(p.time), attributes: p.route ? [kv('route', p.route)] : [],
        ...(kind === 'histogram' ? { count: p.value, bucketCounts: [p.value] } : { asInt: p.value }),
      }));
      if (kind === 'histogram') return { name, histogram: { aggregationTemporality: 2, dataPoints } };
      if (kind === 'gauge') return { name, gauge: { dataPoints } };
      return { name, sum: { aggregationTemporality: kind === 'cumulative' ? 2 : 1, isMonotonic: true, dataPoints } };
    }) }] }],
  })).finish();
}

const check = (v: Verifier, body: Uint8Array): void => v.checkBody('metrics', 'proto', body);

describe('the sink\'s per-series metric checks', () => {
  it('find nothing in a counter that keeps its start and grows, point after point', () => {
    const v = new Verifier();
    for (let c = 0n; c < 5n; c++) {
      check(v, request([
        { name: 'requests', kind: 'cumulative', points: [{ start: NOW - 100n * S, time: NOW - 50n * S + c * 10n * S, value: Number(10n + c) }] },
        { name: 'latency', kind: 'histogram', points: [{ start: NOW - 100n * S, time: NOW - 50n * S + c * 10n * S, value: Number(3n * (c + 1n)) }] },
        { name: 'bytes', kind: 'delta', points: [{ start: NOW - 60n * S + c * 10n * S, time: NOW - 50n * S + c * 10n * S, value: 4 }] },
      ]));
    }
    const r = v.report();
    expect(r.problems).toEqual({});
    expect(r.series).toEqual({ tracked: 3, capacity: 500_000, evicted: 0 });
  });

  it('count a reset: a new start time and a lower value', () => {
    const v = new Verifier();
    check(v, request([{ name: 'requests', kind: 'cumulative', points: [{ start: NOW - 100n * S, time: NOW - 50n * S, value: 10 }] }]));
    check(v, request([{ name: 'requests', kind: 'cumulative', points: [{ start: NOW - 40n * S, time: NOW - 30n * S, value: 2 }] }]));
    expect(v.report().problems).toEqual({ series_start_changed: 1, counter_decrease: 1 });
    expect(v.report().examples.counter_decrease![0]!.message).toBe('requests: 2 after 10');
  });

  it('count a second point at the same time, and one before the previous, per series', () => {
    const v = new Verifier();
    const at = (time: bigint, route: string): Uint8Array => request([{ name: 'temp', kind: 'gauge', points: [{ start: 0n, time, value: 1, route }] }]);
    check(v, at(NOW - 10n * S, 'a'));
    check(v, at(NOW - 10n * S, 'b')); // another series: fine
    check(v, at(NOW - 10n * S, 'a'));
    check(v, at(NOW - 20n * S, 'a'));
    expect(v.report().problems).toEqual({ duplicate_series_time: 1, series_time_backwards: 1 });
  });

  it('tell series apart by resource too, and check OTLP/JSON bodies the same way', () => {
    const v = new Verifier();
    const body = (service: string, value: number): Uint8Array =>
      request([{ name: 'requests', kind: 'cumulative', points: [{ start: NOW - 100n * S, time: NOW - 50n * S, value }] }], service);
    check(v, body('a', 10));
    check(v, body('b', 1));
    const json = toOtlpJson('metrics', requestType('metrics').decode(body('a', 5)));
    v.checkBody('metrics', 'json', Buffer.from(JSON.stringify(json)));
    expect(v.report().problems).toEqual({ duplicate_series_time: 1, counter_decrease: 1 });
  });

  it('stay within their series window, evicting the least recently seen and saying so', () => {
    const v = new Verifier({ seriesWindow: 2 });
    for (const route of ['a', 'b', 'c', 'a']) {
      check(v, request([{ name: 'temp', kind: 'gauge', points: [{ start: 0n, time: NOW, value: 1, route }] }]));
    }
    // 'a' was evicted by 'c', so its repeat at the same time is not seen: the report says checks may miss
    expect(v.report().problems).toEqual({});
    expect(v.report().series).toEqual({ tracked: 2, capacity: 2, evicted: 2 });
  });
});
