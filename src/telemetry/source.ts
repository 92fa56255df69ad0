import type { Signal } from '../otlp/signals.js';
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
  /** Export latency percentiles in ms over the recent window, when the workers measure them. */
  latencyP50Ms?: number | null;
  latencyP99Ms?: number | null;
  /** The load-shape stage or capacity-search step the rate target follows now (a short label), when there is one. */
  step?: string | null;
}

export type HealthStatus = 'starting' | 'running' | 'reloading' | 'draining';

export interface TelemetrySource {
  snapshot(): PipelineSnapshot[];
  health(): HealthStatus;
  reloads(): { succeeded: number; failed: number };
}
