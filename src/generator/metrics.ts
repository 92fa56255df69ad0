import type { MetricType, MetricsGenConfig } from './config.js';
import type { Rng } from './prng.js';
import type { Block } from './otlp-values.js';
import { CATALOG, type MetricDef, capacity, entityResource, pointAttributes } from './metric-catalog.js';

const SCOPES: Record<MetricType, string> = {
  host_metrics: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver',
  k8s_cluster: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver',
  k8s_node: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kubeletstatsreceiver',
  k8s_pod: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kubeletstatsreceiver',
  k8s_container: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kubeletstatsreceiver',
};
const CUMULATIVE = 2;
/** OTel semconv default buckets for HTTP durations (seconds). */
const HTTP_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const QUANTILES = [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1];
/** z-scores of QUANTILES in a standard normal, with 0 and 1 clipped to ±3 sigma. */
const Z = [-3, -0.6745, 0, 0.6745, 1.2816, 2.3263, 3];

interface Planned {
  type: MetricType;
  def: MetricDef;
  name: string;
  series: number;
  /** Resources this metric is reported from; each carries ceil(series / entities) point variants. */
  entities: number;
}

/**
 * Which metrics exist and how many series each has. Beyond the catalog's size, names
 * repeat with a numeric suffix (`system.cpu.time.2`) so metric_count stays distinct names.
 */
export function planMetrics(cfg: MetricsGenConfig, rng: Rng, seriesCap = Infinity): Planned[] {
  const defs: { type: MetricType; def: MetricDef }[] = [];
  const lists = cfg.types.map((t) => CATALOG[t].map((def) => ({ type: t, def })));
  for (let i = 0; defs.length < lists.reduce((a, l) => a + l.length, 0); i++) {
    for (const l of lists) if (i < l.length) defs.push(l[i]!);
  }
  const { min, max, default: mean } = cfg.timeseriesPerMetric;
  const out: Planned[] = [];
  for (let k = 0; k < cfg.metricCount; k++) {
    const { type, def } = defs[k % defs.length]!;
    const round = Math.floor(k / defs.length);
    const drawn = min === max ? mean : Math.min(max, Math.max(min, Math.round(rng.normal(mean, (max - min) / 6))));
    const series = Math.max(1, Math.min(drawn, seriesCap));
    out.push({ type, def, name: round === 0 ? def.name : `${def.name}.${round + 1}`, series, entities: Math.ceil(series / capacity(def)) });
  }
  return out;
}

/** ResourceMetrics blocks: one per (metric type, entity), holding every metric that entity reports. */
export function* metricBlocks(cfg: MetricsGenConfig, rng: Rng, seriesCap = Infinity): Generator<Block> {
  const plan = planMetrics(cfg, rng, seriesCap);
  for (const type of cfg.types) {
    const mine = plan.filter((p) => p.type === type);
    const entities = mine.reduce((a, p) => Math.max(a, p.entities), 0);
    for (let e = 0; e < entities; e++) {
      // Entities are scraped at slightly different moments within the first second.
      const time = 1 + rng.int(1e9);
      const metrics: unknown[] = [];
      let events = 0;
      for (const p of mine) {
        if (e >= p.entities) continue;
        const points: unknown[] = [];
        for (let v = 0; v * p.entities + e < p.series; v++) points.push(point(p.def, pointAttributes(p.def, v), time, rng));
        events += points.length;
        metrics.push(metric(p, points));
      }
      yield {
        resource: { resource: { attributes: entityResource(type, e) }, scopeMetrics: [{ scope: { name: SCOPES[type], version: '0.117.0' }, metrics }] },
        events,
      };
    }
  }
}

function metric(p: Planned, dataPoints: unknown[]): unknown {
  // Literal objects, not a spread of a shared head: spreading is several times slower and this runs per metric and resource.
  const { name } = p;
  const { description, unit } = p.def;
  switch (p.def.shape) {
    case 'gauge': return { name, description, unit, gauge: { dataPoints } };
    case 'sum': return { name, description, unit, sum: { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: true } };
    case 'updown': return { name, description, unit, sum: { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: false } };
    case 'histogram': return { name, description, unit, histogram: { dataPoints, aggregationTemporality: CUMULATIVE } };
    case 'exphistogram': return { name, description, unit, exponentialHistogram: { dataPoints, aggregationTemporality: CUMULATIVE } };
    case 'summary': return { name, description, unit, summary: { dataPoints } };
  }
}

function point(def: MetricDef, attributes: unknown[], timeUnixNano: number, rng: Rng): unknown {
  if (def.shape === 'histogram' || def.shape === 'exphistogram' || def.shape === 'summary') {
    const median = def.lo * Math.exp(rng.normal(0, 0.5));
    const sigma = 0.5 + rng.float() * 0.5;
    const count = rng.range(50, 20_000);
    const sum = count * median * Math.exp((sigma * sigma) / 2);
    const min = median * Math.exp(-3 * sigma);
    const max = median * Math.exp(3 * sigma);
    if (def.shape === 'summary') {
      return { attributes, startTimeUnixNano: 0, timeUnixNano, count, sum, quantileValues: QUANTILES.map((quantile, i) => ({ quantile, value: median * Math.exp(sigma * Z[i]!) })) };
    }
    if (def.shape === 'histogram') {
      const bucketCounts = spread(count, [...HTTP_BOUNDS.map((b) => cdf(b, median, sigma)), 1]);
      return { attributes, startTimeUnixNano: 0, timeUnixNano, count, sum, min, max, explicitBounds: HTTP_BOUNDS, bucketCounts };
    }
    // Scale 3: bucket i covers (2^(i/8), 2^((i+1)/8)].
    const lo = Math.floor(Math.log2(min) * 8);
    const hi = Math.ceil(Math.log2(max) * 8);
    const edges: number[] = [];
    for (let i = lo + 1; i <= hi; i++) edges.push(cdf(2 ** (i / 8), median, sigma));
    edges[edges.length - 1] = 1;
    return { attributes, startTimeUnixNano: 0, timeUnixNano, count, sum, min, max, scale: 3, zeroCount: 0, positive: { offset: lo, bucketCounts: spread(count, edges) } };
  }
  let value: number;
  if (def.lo > 0 && def.hi / def.lo > 100) value = def.lo * (def.hi / def.lo) ** rng.float();
  else value = def.lo + (def.hi - def.lo) * rng.float();
  return def.int ? { attributes, startTimeUnixNano: 0, timeUnixNano, asInt: Math.round(value) } : { attributes, startTimeUnixNano: 0, timeUnixNano, asDouble: value };
}

/** Splits `count` over buckets given each bucket's upper cumulative probability; the counts sum to `count` exactly. */
function spread(count: number, cumulative: number[]): number[] {
  const out: number[] = [];
  let prev = 0;
  let given = 0;
  for (const c of cumulative) {
    const upto = Math.round(count * c);
    out.push(Math.max(0, upto - prev));
    given += Math.max(0, upto - prev);
    prev = Math.max(prev, upto);
  }
  out[out.length - 1]! += count - given;
  return out;
}

/** P(X <= x) for a log-normal with this median and sigma. */
function cdf(x: number, median: number, sigma: number): number {
  return 0.5 * (1 + erf(Math.log(x / median) / (sigma * Math.SQRT2)));
}

/** Abramowitz–Stegun 7.1.26; accurate to 1.5e-7, plenty for bucket counts. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
