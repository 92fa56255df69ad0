import type { Signal } from '../otlp/signals.js';
import type { LatencySnapshot } from '../worker/latency-histogram.js';
import type { ExporterCounters } from '../worker/stats.js';

export type PipelineState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

export interface PipelineSnapshot {
  pipeline: string;            // "traces/replay"
  signal: Signal;
  workers: number;
  state: PipelineState;
  /** events/s the pipeline is held to (sum over workers), null without ratelimit */
  rateTarget: number | null;
  cycles: number;
  /**
   * ms the pipeline has been sending (the workers' own sending windows, summed over
   * restarts; loading time and time stopped do not count). Never falls: the base of rates.
   */
  sendingMs: number;
  exporters: Record<string, ExporterCounters>;   // summed over workers
  /** The ratelimit stage in progress (index into its `stages`), null without stages */
  stage?: number | null;
  /** Export latency per exporter, cumulative like the counters (bounds: LATENCY_BOUNDS_MS). */
  latency?: Record<string, LatencySnapshot>;
}

export type HealthStatus = 'starting' | 'running' | 'reloading' | 'draining';

export interface TelemetrySource {
  snapshot(): PipelineSnapshot[];
  health(): HealthStatus;
  reloads(): { succeeded: number; failed: number };
}
