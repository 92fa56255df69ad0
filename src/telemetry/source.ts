import type { Signal } from '../otlp/signals.js';
import type { ExporterCounters, LastFailure } from '../worker/stats.js';

/** `waiting`: loaded and compiled, holding its first request until service.start_at. */
export type PipelineState = 'starting' | 'waiting' | 'running' | 'draining' | 'stopped' | 'failed';

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
  /** While `waiting`: ms until service.start_at. */
  startsInMs?: number;
  exporters: Record<string, ExporterCounters>;   // summed over workers
  /** Per exporter id that counted a failed request: the latest such failure, over workers and restarts. */
  lastFailures?: Record<string, LastFailure>;
}

/** `waiting`: every pipeline is loaded and waits for service.start_at (ready, so /healthz answers 200). */
export type HealthStatus = 'starting' | 'waiting' | 'running' | 'reloading' | 'draining';

export interface TelemetrySource {
  snapshot(): PipelineSnapshot[];
  health(): HealthStatus;
  reloads(): { succeeded: number; failed: number };
}
