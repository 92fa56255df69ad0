/**
 * What the run recorder holds and what the dashboard's /api/run and the run report carry:
 * one shape, in the snake_case of the stats lines, so a person and a script read the same
 * names. Rates are per second of the pipeline's sending time (as `rate` in the stats lines);
 * the sink's are per second of wall time (it has no sending window).
 */
import type { Signal } from '../otlp/signals.js';
import type { SignalCounts } from '../sink/intake.js';
import type { HealthStatus, PipelineState } from './source.js';

/** One pipeline at one moment: cumulative totals, then values over the window since the point before. */
export interface PipelinePoint {
  /** Sample number: increases by one per sample, shared by every series of the run. */
  seq: number;
  /** Seconds since the run started (wall clock). */
  t: number;
  /** Cumulative seconds the pipeline has been sending. */
  sending_s: number;
  sent: number;
  failed: number;
  retries: number;
  sent_bytes: number;
  rate: number;
  failed_per_s: number;
  retries_per_s: number;
  mb_per_s: number;
  /** Requests in flight: the most seen in any sample of the window (now: at the sample). */
  in_flight: number;
  rate_target: number | null;
  /** Export latency over the window, all exporters together (null: no request ended in it). */
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  /** The ratelimit stage in progress (index into its `stages`), null without stages. */
  stage: number | null;
}

/** A capacity search's progress, its steps named as `otel-replayd capacity --json` names them. */
export interface CapacityRun {
  /** The step in progress. */
  step: number;
  phase: 'ramp' | 'narrow';
  target_events_per_second: number;
  /** The highest rate held for a whole window so far: the result once the search ends. */
  max_sustained_events_per_second: number;
  steps: {
    step: number; phase: 'ramp' | 'narrow'; attempt: number; target_events_per_second: number; sent_events_per_second: number;
    window_ms: number; requests: number; failed_requests: number; retries: number; error_ratio: number;
    latency_p50_ms: number | null; latency_p99_ms: number | null; held: boolean; reasons: string[];
  }[];
}

export interface PipelineRun {
  pipeline: string;
  signal: Signal;
  unit: 'spans' | 'points' | 'logs';
  workers: number;
  state: PipelineState;
  /** The latest sample (every second), which the next point may not include yet. */
  now: PipelinePoint;
  /** Totals of the latest sample that the points do not carry. */
  rejected: number;
  dropped: number;
  /** The capacity search driving this pipeline, with the evidence of every step so far; null without one. */
  capacity: CapacityRun | null;
  points: PipelinePoint[];
}

/** What the built-in sink received: cumulative events per signal and events/s over the window. */
export interface SinkPoint {
  seq: number;
  t: number;
  events: Record<Signal, number>;
  per_s: Record<Signal, number>;
}

export interface SinkRun {
  counts: Record<Signal, SignalCounts>;
  now: SinkPoint;
  points: SinkPoint[];
}

export interface RunData {
  run_id: string;
  /** The replica this daemon is among several sending one load (scale-out); null while it runs alone. */
  replica: string | null;
  version: string;
  started_at: string;
  /** When the latest sample was taken. */
  updated_at: string;
  elapsed_s: number;
  /** True while the daemon runs; false in a report. */
  live: boolean;
  status: HealthStatus | 'finished';
  /** Seconds between points (doubles each time the series are halved to stay bounded). */
  interval_s: number;
  /** Increases each time the series are halved: a reader holding older points must fetch them all again. */
  epoch: number;
  /** The latest point's sequence number. */
  seq: number;
  pipelines: PipelineRun[];
  sink: SinkRun | null;
}
