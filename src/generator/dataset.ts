import type { Signal } from '../otlp/signals.js';
import { type GeneratorConfig, logsDefaults, metricsDefaults, tracesDefaults } from './config.js';
import { logBlocks } from './logs.js';
import { metricBlocks, planMetrics } from './metrics.js';
import type { Block } from './otlp-values.js';
import { Rng } from './prng.js';
import { type Topology, buildTopology } from './topology.js';
import { type SpanRef, traceBlocks } from './traces.js';

/**
 * Independent PRNG streams per part, so adding logs does not change the traces and
 * the topology is the same for traces and logs (correlated logs name real services).
 */
const STREAM: Record<Signal | 'topology', number> = { topology: 0, traces: 1, metrics: 2, logs: 3 };

export interface BlockOptions {
  /** Traces or log records to generate (default: the config's count). */
  count?: number;
  /** Metrics: at most this many series per metric. */
  seriesCap?: number;
  /** Traces: collects span references; logs: points records at them when `correlate`. */
  refs?: SpanRef[];
  /** PRNG stream offset: the generator receiver uses one per refresh, so fresh data differs. */
  stream?: number;
}

export function topologyOf(cfg: GeneratorConfig): Topology {
  return buildTopology(cfg.traces ?? tracesDefaults(), new Rng(cfg.seed, STREAM.topology));
}

/** The blocks (ResourceSpans/ResourceMetrics/ResourceLogs) of one signal, generated lazily. */
export function signalBlocks(signal: Signal, cfg: GeneratorConfig, seed: number, opts: BlockOptions = {}): Generator<Block> {
  const rng = new Rng(seed, STREAM[signal] + 16 * (opts.stream ?? 0));
  if (signal === 'metrics') return metricBlocks(cfg.metrics ?? metricsDefaults(), rng, opts.seriesCap);
  // Workers share one topology (the config's seed); their traces and logs differ.
  const topo = topologyOf(cfg);
  if (signal === 'traces') {
    const t = cfg.traces ?? tracesDefaults();
    return traceBlocks(t, topo, rng, opts.count ?? t.count, opts.refs);
  }
  const l = cfg.logs ?? logsDefaults();
  const services = l.applicationServices.length > 0 ? l.applicationServices : topo.services.map((s) => s.name);
  return logBlocks(l, { services, refs: opts.refs }, rng, opts.count ?? l.count);
}

/** Bytes per event of the encoded .pb, measured on generated data (see bench/generate.ts). */
const BYTES_PER = { span: 480, customAttribute: 24, point: 150, log: 330 };

export interface Estimate {
  traces: number;
  spans: number;
  points: number;
  logs: number;
  /** Estimated bytes of all .pb files. */
  bytes: number;
}

/**
 * Estimated encoded bytes of a generator receiver's pool of `pool` of one signal's items
 * (traces, log records, or data points: see receivers/generator.ts), without generating it.
 */
export function poolBytes(cfg: GeneratorConfig, signal: Signal, pool: number): number {
  if (signal === 'logs') return pool * BYTES_PER.log;
  if (signal === 'metrics') return pool * BYTES_PER.point;
  const t = cfg.traces ?? tracesDefaults();
  const high = t.spans.highSpanTraces;
  const spans = pool * t.spans.avgPerTrace + (high.enabled ? high.count * high.spanCount : 0);
  return spans * (BYTES_PER.span + BYTES_PER.customAttribute * t.customAttributes.count);
}

/** Counts and size of what `cfg` would generate, without generating it. */
export function estimate(cfg: GeneratorConfig): Estimate {
  const t = cfg.traces;
  const high = t?.spans.highSpanTraces;
  const highCount = high?.enabled ? high.count : 0;
  const traces = t ? t.count + highCount : 0;
  const spans = t ? t.count * t.spans.avgPerTrace + highCount * high!.spanCount : 0;
  const points = cfg.metrics ? planMetrics(cfg.metrics, new Rng(cfg.seed, STREAM.metrics)).reduce((a, p) => a + p.series, 0) : 0;
  const logs = cfg.logs?.count ?? 0;
  const spanBytes = BYTES_PER.span + BYTES_PER.customAttribute * (t?.customAttributes.count ?? 0);
  return { traces, spans, points, logs, bytes: spans * spanBytes + points * BYTES_PER.point + logs * BYTES_PER.log };
}
