import type { Signal } from '../otlp/signals.js';
import type { LatencySnapshot } from '../worker/latency-histogram.js';
import type { ExporterCounters, LastFailure } from '../worker/stats.js';

/** `waiting`: loaded and compiled, holding its first request until service.start_at. */
export type PipelineState = 'starting' | 'waiting' | 'running' | 'draining' | 'stopped' | 'failed';

/** One step of a capacity search: the rate tried and the evidence of whether the endpoint held it. */
export interface CapacityStep {
  /** 1, 2, …; `ramp` steps grow the rate until one fails, `narrow` steps bisect after that. */
  step: number;
  phase: 'ramp' | 'narrow';
  /** 1, or 2… when a rate that failed is measured again (service.capacity.confirm_failures). */
  attempt: number;
  /** events/s the pipeline was held to. */
  target: number;
  /** events/s the endpoint accepted over the window (the slowest exporter's, with several). */
  sentRate: number;
  /** The window measured: the workers' own sending time between two fresh snapshots. */
  windowMs: number;
  /** Requests that ended in the window (sent or failed), over all exporters. */
  requests: number;
  failedRequests: number;
  retries: number;
  /** (failedRequests + retries) / requests. */
  errorRatio: number;
  /** Export latency over the window, ms; null when no request ended. */
  p50Ms: number | null;
  p99Ms: number | null;
  held: boolean;
  /** Why it did not hold (empty when it did). */
  reasons: string[];
}

/** Where a capacity search is: the step in progress and the evidence so far. */
export interface CapacityProgress {
  step: number;
  phase: 'ramp' | 'narrow';
  target: number;
  /** The highest rate held so far (events/s); 0 before any step held. */
  maxSustained: number;
  steps: CapacityStep[];
}


export interface PipelineSnapshot {
  pipeline: string;            // "traces/replay"
  signal: Signal;
  workers: number;
  state: PipelineState;
  /** events/s the pipeline is held to (sum over workers), null without ratelimit */
  rateTarget: number | null;
  /** The ratelimit stage in progress (index into its `stages`), null without stages */
  stage: number | null;
  /** When the current incarnation's workers started sending (ms since the Unix epoch; the origin of its stages), null before */
  origin: number | null;
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
  /** Export latency per exporter, cumulative like the counters (bounds: LATENCY_BOUNDS_MS). */
  latency: Record<string, LatencySnapshot>;
  /** The capacity search driving this pipeline's rate (`otel-replayd capacity`), else null. */
  capacity: CapacityProgress | null;
}

/** `waiting`: every pipeline is loaded and waits for service.start_at (ready, so /healthz answers 200). */
export type HealthStatus = 'starting' | 'waiting' | 'running' | 'reloading' | 'draining';

export interface TelemetrySource {
  snapshot(): PipelineSnapshot[];
  health(): HealthStatus;
  reloads(): { succeeded: number; failed: number };
}
