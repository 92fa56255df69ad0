import { describe, expect, it } from 'vitest';
import { signalBlocks } from '../../src/generator/dataset.js';
import { validConfig } from './fixture.js';

interface Kv { key: string; value: Record<string, unknown> }
interface M { name: string; unit: string; [shape: string]: unknown }

function metricsOf(metrics: Record<string, unknown>) {
  const cfg = validConfig({ seed: 4, metrics });
  const out: { resource: Kv[]; metric: M }[] = [];
  let events = 0;
  for (const b of signalBlocks('metrics', cfg, cfg.seed)) {
    events += b.events;
    const rm = b.resource as { resource: { attributes: Kv[] }; scopeMetrics: { metrics: M[] }[] };
    for (const sm of rm.scopeMetrics) for (const metric of sm.metrics) out.push({ resource: rm.resource.attributes, metric });
  }
  return { out, events };
}

function points(m: M): { attributes: Kv[]; [k: string]: unknown }[] {
  for (const shape of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
    if (m[shape]) return (m[shape] as { dataPoints: { attributes: Kv[] }[] }).dataPoints;
  }
  throw new Error(`no data in ${m.name}`);
}

describe('metric generation', () => {
  const { out, events } = metricsOf({ metric_count: 80, timeseries_per_metric: { min: 20, max: 60, default: 40 } });

  it('makes metric_count distinct metrics with real names and units', () => {
    const names = new Set(out.map((o) => o.metric.name));
    expect(names.size).toBe(80);
    for (const n of ['system.cpu.time', 'system.memory.usage', 'k8s.deployment.desired', 'k8s.node.cpu.usage', 'k8s.pod.memory.usage', 'container.cpu.usage', 'http.server.request.duration']) {
      expect(names).toContain(n);
    }
    expect(out.find((o) => o.metric.name === 'system.memory.usage')!.metric.unit).toBe('By');
  });

  it('gives each metric between min and max distinct series (resource + attributes)', () => {
    const series = new Map<string, Set<string>>();
    let total = 0;
    for (const { resource, metric } of out) {
      let set = series.get(metric.name);
      if (!set) series.set(metric.name, (set = new Set()));
      for (const p of points(metric)) {
        set.add(JSON.stringify([resource, p.attributes]));
        total++;
      }
    }
    expect(total).toBe(events);
    for (const [name, set] of series) {
      const n = [...out.filter((o) => o.metric.name === name)].reduce((a, o) => a + points(o.metric).length, 0);
      expect(set.size, name).toBe(n);
      expect(n, name).toBeGreaterThanOrEqual(20);
      expect(n, name).toBeLessThanOrEqual(60);
    }
  });

  it('uses gauges, cumulative monotonic and non-monotonic sums, histograms, exponential histograms and summaries', () => {
    const shapes = new Set(out.map((o) => Object.keys(o.metric).find((k) => ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].includes(k))));
    expect(shapes).toEqual(new Set(['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']));
    const cpu = out.find((o) => o.metric.name === 'system.cpu.time')!.metric.sum as { aggregationTemporality: number; isMonotonic: boolean };
    expect(cpu).toMatchObject({ aggregationTemporality: 2, isMonotonic: true });
  });

  it('keeps values consistent: bucket counts sum to count, utilizations in [0,1], quantiles increase', () => {
    for (const { metric } of out) {
      for (const p of points(metric)) {
        if (metric.histogram) {
          const counts = p.bucketCounts as number[];
          expect(counts).toHaveLength((p.explicitBounds as number[]).length + 1);
          expect(counts.reduce((a, c) => a + c, 0)).toBe(p.count);
        }
        if (metric.exponentialHistogram) {
          expect((p.positive as { bucketCounts: number[] }).bucketCounts.reduce((a, c) => a + c, 0)).toBe(p.count);
        }
        if (metric.summary) {
          const q = (p.quantileValues as { value: number }[]).map((x) => x.value);
          expect([...q].sort((a, b) => a - b)).toEqual(q);
        }
        if (metric.name.endsWith('utilization')) {
          expect(p.asDouble).toBeGreaterThanOrEqual(0);
          expect(p.asDouble).toBeLessThanOrEqual(1);
        }
        expect(p.timeUnixNano).toBeGreaterThan(0);
        expect(p.timeUnixNano).toBeLessThan(1e9 + 1);
      }
    }
  });

  it('only uses the asked types', () => {
    const { out: hostOnly } = metricsOf({ metric_count: 5, timeseries_per_metric: { default: 3 }, types: ['host_metrics'] });
    expect(hostOnly.every((o) => o.metric.name.startsWith('system.'))).toBe(true);
    expect(hostOnly.every((o) => o.resource.some((a) => a.key === 'host.name'))).toBe(true);
  });
});
