import type { Signal } from '../otlp/signals.js';
import type { LatencySnapshot } from './latency-histogram.js';

/** Counters for one exporter of one pipeline worker. Monotonic except inFlight. */
export interface ExporterCounters {
  sentFrames: number;
  /** Events accepted by the endpoint (request events minus partial_success rejections). */
  sentEvents: number;
  /** Request body bytes of accepted requests as they went on the wire (after compression). */
  sentBytes: number;
  /** The same requests' body bytes before compression. */
  sentUncompressedBytes: number;
  failedFrames: number;
  failedEvents: number;
  /** Events rejected through partial_success in otherwise accepted requests. */
  rejectedEvents: number;
  /** Stamped but never handed to the endpoint (abandoned at a forced exit). */
  droppedFrames: number;
  droppedEvents: number;
  /** Accepted requests whose response body could not be decoded (also counted as sent). */
  unparsedResponses: number;
  /** Retry attempts, counted as each one starts. */
  retries: number;
  inFlight: number;
}

/** The latest request one exporter counted as failed: what the end of a run names as the reason it exits 1. */
export interface LastFailure {
  /** Stable code, e.g. `INVALID_ARGUMENT`, `HTTP_400`, `ERR_EXPORT_TIMEOUT`. */
  code: string;
  /** The endpoint's (or our) message; never holds header values. */
  message: string;
  /** Date.now() when it was counted: the latest over workers and restarts wins. */
  atMs: number;
}

/** What a worker reports to the main thread about once a second, and once at exit. */
export interface WorkerStats {
  pipeline: string;
  worker: number;
  signal: Signal;
  /** Replay cycles completed. */
  cycles: number;
  /** events/s this worker is held to now (a load shape moves it), or null without ratelimit. */
  rateTarget: number | null;
  /** The ratelimit stage in progress (index into its `stages`), or null without stages. */
  stage: number | null;
  /**
   * ms this worker has been sending: from the start of its loop until its last request
   * settled (then it stops growing). Measured here, in the same snapshot as the counters,
   * so sent / sendingMs is the rate the worker achieved, whenever the main thread reads it.
   */
  sendingMs: number;
  exporters: Record<string, ExporterCounters>;
  /** Per exporter id, only for exporters that counted a failed request. */
  lastFailures: Record<string, LastFailure>;
  /** Export latency per exporter (first attempt to outcome), cumulative. */
  latency: Record<string, LatencySnapshot>;
}

/** Keeps, per exporter, the later of two last failures. */
export function mergeLastFailures(into: Record<string, LastFailure>, from: Record<string, LastFailure> | undefined): Record<string, LastFailure> {
  for (const [id, f] of Object.entries(from ?? {})) if (!into[id] || into[id].atMs <= f.atMs) into[id] = f;
  return into;
}

export function emptyCounters(): ExporterCounters {
  return {
    sentFrames: 0, sentEvents: 0, sentBytes: 0, sentUncompressedBytes: 0, failedFrames: 0, failedEvents: 0, rejectedEvents: 0,
    droppedFrames: 0, droppedEvents: 0, unparsedResponses: 0, retries: 0, inFlight: 0,
  };
}

export function addCounters(into: ExporterCounters, from: ExporterCounters): ExporterCounters {
  for (const k of Object.keys(into) as (keyof ExporterCounters)[]) into[k] += from[k];
  return into;
}
