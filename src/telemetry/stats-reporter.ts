import type { Logger } from '../log.js';
import { ReplaydError } from '../errors.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { emptyCounters, type ExporterCounters } from '../worker/stats.js';
import { CounterTracker } from './counter-tracker.js';
import { isTerminal } from './pipeline-state.js';
import type { PipelineSnapshot, PipelineState, TelemetrySource } from './source.js';

export interface StatsReporterOptions {
  source: TelemetrySource;
  log: Logger;
  /** How often a "stats" line is logged per pipeline. */
  intervalMs: number;
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
  /** Monotonic totals per exporter id (inFlight is the last value seen). */
  exporters: Record<string, ExporterCounters>;
}

const COUNTER_FIELDS = [
  'sentFrames', 'sentEvents', 'sentBytes', 'sentUncompressedBytes', 'failedFrames', 'failedEvents', 'rejectedEvents',
  'droppedFrames', 'droppedEvents', 'unparsedResponses', 'retries',
] as const satisfies readonly (keyof ExporterCounters)[];

interface RateBase { sent: number; bytes: number; durationMs: number; terminal: boolean }

/**
 * Logs one "stats" line per pipeline every interval and a "summary" line per pipeline at
 * the end. Snapshot counters are read through a CounterTracker, so totals never go
 * backwards even if a restarted pipeline reports from zero again.
 */
export class StatsReporter {
  readonly #source: TelemetrySource;
  readonly #log: Logger;
  readonly #intervalMs: number;
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

  /** Reads a last snapshot, logs one "summary" line per pipeline ever seen and returns the same data. */
  summary(): PipelineSummary[] {
    this.#observe();
    const all = [...this.#latest.values()];
    for (const s of all) this.#log.info(this.summaryLine(s), 'summary');
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
      ...breakdown(s),
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
      const prev = this.#previous.get(s.pipeline) ?? { sent: 0, bytes: 0, durationMs: 0, terminal: false };
      this.#previous.set(s.pipeline, { sent: s.sent, bytes: s.sentBytes, durationMs: s.durationMs, terminal });
      // A finished pipeline gets one line with its last interval, then stays quiet until the summary.
      if (terminal && prev.terminal) continue;
      const dtS = (s.durationMs - prev.durationMs) / 1000;
      this.#log.info({
        ...this.#lineBase(s),
        recent_rate: dtS > 0 ? round((s.sent - prev.sent) / dtS, 1) : 0,
        mb_per_s: dtS > 0 ? round((s.sentBytes - prev.bytes) / dtS / 1e6, 3) : 0,
        in_flight: sumOf(s.exporters, 'inFlight'),
        ...breakdown(s),
      }, 'stats');
    }
  }

  /** Fields shared by "stats" and "summary" lines. */
  #lineBase(s: PipelineSummary): Record<string, unknown> {
    return {
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
      rate_target: s.rateTarget,
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
      exporters,
    };
  }
}

/** Per-exporter numbers, only when there is more than one exporter to tell apart. */
function breakdown(s: PipelineSummary): { exporters?: Record<string, Record<string, number>> } {
  const ids = Object.keys(s.exporters);
  if (ids.length < 2) return {};
  const exporters: Record<string, Record<string, number>> = {};
  for (const id of ids) {
    const c = s.exporters[id]!;
    exporters[id] = {
      [`sent_${s.unit}`]: c.sentEvents, failed: c.failedEvents, rejected: c.rejectedEvents,
      dropped: c.droppedEvents, unparsed_responses: c.unparsedResponses, retries: c.retries, in_flight: c.inFlight,
    };
  }
  return { exporters };
}

function sumOf(exporters: Record<string, ExporterCounters>, field: keyof ExporterCounters): number {
  let n = 0;
  for (const c of Object.values(exporters)) n += c[field];
  return n;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
