import { resultLogger, type Logger } from '../log.js';
import { ReplaydError } from '../errors.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { addLatency, emptyLatency, latencyQuantile, latencySince, type LatencySnapshot } from '../worker/latency-histogram.js';
import { emptyCounters, type ExporterCounters, type LastFailure } from '../worker/stats.js';
import { CounterTracker } from './counter-tracker.js';
import { isTerminal } from './pipeline-state.js';
import type { PipelineSnapshot, PipelineState, TelemetrySource } from './source.js';

export interface StatsReporterOptions {
  source: TelemetrySource;
  log: Logger;
  /** How often a "stats" line is logged per pipeline. */
  intervalMs: number;
  /** Which replica of which run this is; every stats and summary line carries it. */
  replica?: ReplicaLabel;
}

/** service.replicas as stats lines show it, so the lines of many replicas can be merged. */
export interface ReplicaLabel {
  index: number;
  count: number;
  runId: string;
}

/** One pipeline's totals since the daemon started, as `summary()` returns them. */
export interface PipelineSummary {
  pipeline: string;
  signal: Signal;
  /** What `sent` counts: spans, points or logs. */
  unit: 'spans' | 'points' | 'logs';
  state: PipelineState;
  workers: number;
  cycles: number;
  /** Events accepted by the endpoints. */
  sent: number;
  /** Body bytes of accepted requests on the wire (after compression). */
  sentBytes: number;
  /** The same bodies before compression. */
  sentUncompressedBytes: number;
  sentRequests: number;
  failed: number;
  failedRequests: number;
  rejected: number;
  dropped: number;
  /** Accepted requests whose response could not be decoded (also in sentRequests). */
  unparsedResponses: number;
  retries: number;
  /** Time the pipeline was sending (summed over restarts, loading excluded), the base of `rate`. */
  durationMs: number;
  /** Overall events/s: sent / duration. */
  rate: number;
  /** Overall sent megabytes (10^6 bytes, on the wire) per second. */
  mbPerS: number;
  rateTarget: number | null;
  /** While waiting for service.start_at: ms until then. */
  startsInMs?: number;
  /** Monotonic totals per exporter id (inFlight is the last value seen). */
  exporters: Record<string, ExporterCounters>;
  /** The latest failed request per exporter id that had one. */
  lastFailures: Record<string, LastFailure>;
  /** The ratelimit stage in progress, null without stages. */
  stage: number | null;
  /** The capacity search step in progress, null without one. */
  capacityStep: number | null;
  /** Export latency over the whole run, all exporters together (ms; null before any request ended). */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Export latency per exporter id over the whole run. */
  latency: Record<string, LatencySnapshot>;
}

const COUNTER_FIELDS = [
  'sentFrames', 'sentEvents', 'sentBytes', 'sentUncompressedBytes', 'failedFrames', 'failedEvents', 'rejectedEvents',
  'droppedFrames', 'droppedEvents', 'unparsedResponses', 'retries',
] as const satisfies readonly (keyof ExporterCounters)[];

interface RateBase { sent: number; bytes: number; durationMs: number; terminal: boolean; latency: Record<string, LatencySnapshot> }

/**
 * Logs one "stats" line per pipeline every interval and a "summary" line per pipeline at
 * the end. Snapshot counters are read through a CounterTracker, so totals never go
 * backwards even if a restarted pipeline reports from zero again.
 */
export class StatsReporter {
  readonly #source: TelemetrySource;
  readonly #log: Logger;
  readonly #intervalMs: number;
  /** Set again by a reload that changes service.replicas. */
  replica: ReplicaLabel | undefined;
  readonly #counters = new CounterTracker();
  /** Last totals of every pipeline ever seen: a pipeline gone from the snapshot keeps its numbers. */
  readonly #latest = new Map<string, PipelineSummary>();
  /** Sending time per pipeline (see PipelineSnapshot.sendingMs). */
  readonly #durationMs = new Map<string, number>();
  /** Totals at the previous stats line, for the recent rate. */
  readonly #previous = new Map<string, RateBase>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: StatsReporterOptions) {
    if (typeof opts?.source?.snapshot !== 'function') {
      throw new ReplaydError('ERR_INVALID_ARG', 'StatsReporter: source must be a TelemetrySource');
    }
    if (typeof opts.log?.info !== 'function') throw new ReplaydError('ERR_INVALID_ARG', 'StatsReporter: log must be a pino logger');
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs <= 0) {
      throw new ReplaydError('ERR_INVALID_ARG', `StatsReporter: intervalMs must be a positive number, got ${String(opts.intervalMs)}`);
    }
    this.#source = opts.source;
    this.#log = opts.log;
    this.#intervalMs = opts.intervalMs;
    this.replica = opts.replica;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#report(), this.#intervalMs);
    // Stats must never be what keeps the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Reads a last snapshot, logs one "summary" line per pipeline ever seen (whatever the
   * log level: it is the result of the run) and returns the same data.
   */
  summary(): PipelineSummary[] {
    this.#observe();
    const all = [...this.#latest.values()];
    const out = resultLogger(this.#log);
    for (const s of all) out.info(this.summaryLine(s), 'summary');
    return all;
  }

  /** The fields of a pipeline's "summary" line, as logged (the run report carries them too). */
  summaryLine(s: PipelineSummary): Record<string, unknown> {
    return {
      ...this.#lineBase(s),
      sent_bytes: s.sentBytes,
      sent_uncompressed_bytes: s.sentUncompressedBytes,
      sent_requests: s.sentRequests,
      failed_requests: s.failedRequests,
      cycles: s.cycles,
      duration_s: round(s.durationMs / 1000, 3),
      mb_per_s: s.mbPerS,
      latency_p50_ms: ms(s.latencyP50Ms),
      latency_p99_ms: ms(s.latencyP99Ms),
      ...breakdown(s, s.latency),
      ...failures(s),
    };
  }

  #report(): void {
    let current: PipelineSummary[];
    try {
      current = this.#observe();
    } catch (err) {
      // A broken snapshot must not kill the daemon from a timer callback.
      this.#log.error({ err }, 'stats snapshot failed');
      return;
    }
    for (const s of current) {
      const terminal = isTerminal(s.state);
      const prev = this.#previous.get(s.pipeline) ?? { sent: 0, bytes: 0, durationMs: 0, terminal: false, latency: {} };
      this.#previous.set(s.pipeline, { sent: s.sent, bytes: s.sentBytes, durationMs: s.durationMs, terminal, latency: s.latency });
      // A finished pipeline gets one line with its last interval, then stays quiet until the summary.
      if (terminal && prev.terminal) continue;
      const dtS = (s.durationMs - prev.durationMs) / 1000;
      // Latency in a stats line is over its interval, as recent_rate is.
      const recent: Record<string, LatencySnapshot> = {};
      for (const [id, l] of Object.entries(s.latency)) recent[id] = latencySince(l, prev.latency[id]);
      const all = merged(recent);
      this.#log.info({
        ...this.#lineBase(s),
        ...(s.startsInMs !== undefined ? { starts_in_s: round(s.startsInMs / 1000, 1) } : {}),
        recent_rate: dtS > 0 ? round((s.sent - prev.sent) / dtS, 1) : 0,
        mb_per_s: dtS > 0 ? round((s.sentBytes - prev.bytes) / dtS / 1e6, 3) : 0,
        in_flight: sumOf(s.exporters, 'inFlight'),
        latency_p50_ms: ms(latencyQuantile(all, 0.5)),
        latency_p99_ms: ms(latencyQuantile(all, 0.99)),
        ...breakdown(s, recent),
      }, 'stats');
    }
  }

  /** Fields shared by "stats" and "summary" lines. */
  #lineBase(s: PipelineSummary): Record<string, unknown> {
    const r = this.replica;
    return {
      ...(r ? { replica: r.index, replicas: r.count, run_id: r.runId } : {}),
      pipeline: s.pipeline,
      signal: s.signal,
      state: s.state,
      [`sent_${s.unit}`]: s.sent,
      failed: s.failed,
      rejected: s.rejected,
      dropped: s.dropped,
      unparsed_responses: s.unparsedResponses,
      retries: s.retries,
      rate: s.rate,
      rate_target: s.rateTarget === null ? null : round(s.rateTarget, 1),
      ...(s.stage === null ? {} : { stage: s.stage }),
      ...(s.capacityStep === null ? {} : { capacity_step: s.capacityStep }),
    };
  }

  /** Reads the source once and updates the totals of every pipeline in it. */
  #observe(): PipelineSummary[] {
    const out = this.#source.snapshot().map((snap) => this.#totals(snap));
    for (const s of out) this.#latest.set(s.pipeline, s);
    return out;
  }

  #totals(snap: PipelineSnapshot): PipelineSummary {
    const p = snap.pipeline;
    const exporters: Record<string, ExporterCounters> = {};
    for (const [id, raw] of Object.entries(snap.exporters)) {
      const c = emptyCounters();
      for (const f of COUNTER_FIELDS) {
        const key = `${p}\0${id}\0${f}`;
        this.#counters.observe(key, raw[f]);
        c[f] = this.#counters.total(key);
      }
      c.inFlight = raw.inFlight;
      exporters[id] = c;
    }
    // The source's sending time never falls; max() keeps a stale snapshot from moving it back.
    const durationMs = Math.max(this.#durationMs.get(p) ?? 0, snap.sendingMs);
    this.#durationMs.set(p, durationMs);
    const sent = sumOf(exporters, 'sentEvents');
    const sentBytes = sumOf(exporters, 'sentBytes');
    const all = merged(snap.latency);
    return {
      pipeline: p,
      signal: snap.signal,
      unit: SIGNALS[snap.signal].unit,
      state: snap.state,
      workers: snap.workers,
      cycles: snap.cycles,
      sent,
      sentBytes,
      sentUncompressedBytes: sumOf(exporters, 'sentUncompressedBytes'),
      sentRequests: sumOf(exporters, 'sentFrames'),
      failed: sumOf(exporters, 'failedEvents'),
      failedRequests: sumOf(exporters, 'failedFrames'),
      rejected: sumOf(exporters, 'rejectedEvents'),
      dropped: sumOf(exporters, 'droppedEvents'),
      unparsedResponses: sumOf(exporters, 'unparsedResponses'),
      retries: sumOf(exporters, 'retries'),
      durationMs,
      rate: durationMs > 0 ? round(sent / (durationMs / 1000), 1) : 0,
      mbPerS: durationMs > 0 ? round(sentBytes / (durationMs / 1000) / 1e6, 3) : 0,
      rateTarget: snap.rateTarget,
      ...(snap.startsInMs !== undefined ? { startsInMs: snap.startsInMs } : {}),
      lastFailures: snap.lastFailures ?? {},
      stage: snap.stage,
      capacityStep: snap.capacity?.step ?? null,
      latencyP50Ms: latencyQuantile(all, 0.5),
      latencyP99Ms: latencyQuantile(all, 0.99),
      exporters,
      latency: snap.latency,
    };
  }
}

/** Which exporters failed requests, how many, and the last failure's code and message: why the run exits 1. */
function failures(s: PipelineSummary): { export_failures?: Record<string, Record<string, unknown>> } {
  if (s.failedRequests === 0) return {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, c] of Object.entries(s.exporters)) {
    if (c.failedFrames === 0) continue;
    const last = s.lastFailures[id];
    out[id] = { failed_requests: c.failedFrames, [`failed_${s.unit}`]: c.failedEvents, last_code: last?.code, last_error: last?.message };
  }
  return { export_failures: out };
}

/** Per-exporter numbers, only when there is more than one exporter to tell apart; latency over the line's own span. */
function breakdown(s: PipelineSummary, latency: Record<string, LatencySnapshot>): { exporters?: Record<string, Record<string, number | null>> } {
  const ids = Object.keys(s.exporters);
  if (ids.length < 2) return {};
  const exporters: Record<string, Record<string, number | null>> = {};
  for (const id of ids) {
    const c = s.exporters[id]!;
    const l = latency[id] ?? emptyLatency();
    exporters[id] = {
      [`sent_${s.unit}`]: c.sentEvents, failed: c.failedEvents, rejected: c.rejectedEvents,
      dropped: c.droppedEvents, unparsed_responses: c.unparsedResponses, retries: c.retries, in_flight: c.inFlight,
      latency_p50_ms: ms(latencyQuantile(l, 0.5)), latency_p99_ms: ms(latencyQuantile(l, 0.99)),
    };
  }
  return { exporters };
}

function sumOf(exporters: Record<string, ExporterCounters>, field: keyof ExporterCounters): number {
  let n = 0;
  for (const c of Object.values(exporters)) n += c[field];
  return n;
}

/** Every exporter's latency counts added together. */
function merged(latency: Record<string, LatencySnapshot>): LatencySnapshot {
  const out = emptyLatency();
  for (const l of Object.values(latency)) addLatency(out, l);
  return out;
}

/** Latency for a log line: ms to the µs, null without requests. */
function ms(x: number | null): number | null {
  return x === null ? null : round(x, 3);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
