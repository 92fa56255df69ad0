import type { Logger } from '../log.js';
import { ReplaydError } from '../errors.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import type { SinkCounts } from '../sink/intake.js';
import type { ExporterCounters } from '../worker/stats.js';
import { BoundedSeries } from './bounded-series.js';
import { CounterTracker } from './counter-tracker.js';
import { latencyOf, PipelineSeries, pipelinePoint, round, type Totals, type WindowStart } from './pipeline-series.js';
import type { CapacityRun, PipelinePoint, PipelineRun, RunData, SinkPoint, SinkRun } from './run-data.js';
import type { CapacityProgress, PipelineSnapshot, TelemetrySource } from './source.js';

export interface RunRecorderOptions {
  source: TelemetrySource;
  log: Logger;
  runId: string;
  version: string;
  /** This process's part of a scaled-out run as `index/count` (service.replicas), null when it runs alone. */
  replica?: string | null;
  /** The built-in sink's counts, when the daemon runs it. */
  sinkCounts?: () => SinkCounts;
  /** How often the source is sampled; workers report about once a second, so less adds nothing. */
  intervalMs?: number;
  /** Points kept per series before neighbours are merged. */
  maxPoints?: number;
  /** Wall clock in ms (tests pass their own). */
  clock?: () => number;
}

/** Which points a reader already holds: it gets only newer ones while the epoch is unchanged. */
export interface Cursor {
  epoch: number;
  seq: number;
}

const COUNTED = ['sentEvents', 'failedEvents', 'retries', 'sentBytes', 'rejectedEvents', 'droppedEvents'] as const satisfies readonly (keyof ExporterCounters)[];

interface PipelineTrack {
  snap: PipelineSnapshot;
  totals: Totals;
  now: PipelinePoint;
  /** The first sample at the latest sending time: the start of the next sample's window. */
  base: WindowStart;
  /** Most requests in flight in any sample since the last point. */
  peakInFlight: number;
  series: PipelineSeries;
}

interface SinkTrack {
  counts: SinkCounts;
  now: SinkPoint;
  series: BoundedSeries<SinkPoint>;
}

/**
 * Samples the telemetry source (and the sink extension's counts) every second into a
 * bounded time series per pipeline, for the live dashboard and the run report. Totals go
 * through a CounterTracker as in the stats lines, so the last point of a run equals its
 * summary. Runs on the main thread and reads only what the supervisor already aggregated.
 */
export class RunRecorder {
  readonly #source: TelemetrySource;
  readonly #log: Logger;
  readonly #sinkCounts: (() => SinkCounts) | undefined;
  readonly #intervalMs: number;
  readonly #maxPoints: number;
  readonly #clock: () => number;
  readonly #runId: string;
  readonly #replica: string | null;
  readonly #version: string;
  readonly #startedAt: number;
  readonly #counters = new CounterTracker();
  readonly #pipelines = new Map<string, PipelineTrack>();
  #sink: SinkTrack | undefined;
  #seq = 0;
  #stride = 1;
  #epoch = 0;
  #sampledAt: number;
  #live = true;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RunRecorderOptions) {
    if (typeof opts?.source?.snapshot !== 'function') throw new ReplaydError('ERR_INVALID_ARG', 'RunRecorder: source must be a TelemetrySource');
    this.#source = opts.source;
    this.#log = opts.log;
    this.#sinkCounts = opts.sinkCounts;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#maxPoints = opts.maxPoints ?? 1000;
    this.#clock = opts.clock ?? Date.now;
    this.#runId = opts.runId;
    this.#replica = opts.replica ?? null;
    this.#version = opts.version;
    this.#startedAt = this.#clock();
    this.#sampledAt = this.#startedAt;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling and takes a last sample that is always kept, so the series end where the run did. */
  finish(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#live) this.sample(true);
    this.#live = false;
  }

  /** Reads the source once; every `stride`-th sample (and a final one) becomes a point. */
  sample(final = false): void {
    let snapshot: PipelineSnapshot[];
    let sink: SinkCounts | undefined;
    try {
      snapshot = this.#source.snapshot();
      sink = this.#sinkCounts?.();
    } catch (err) {
      // A broken snapshot must not kill the daemon from a timer callback.
      this.#log.error({ err }, 'run recorder snapshot failed');
      return;
    }
    this.#seq++;
    this.#sampledAt = this.#clock();
    const t = round((this.#sampledAt - this.#startedAt) / 1000, 3);
    const keep = final || this.#seq % this.#stride === 0;
    let halved = false;
    for (const snap of snapshot) {
      const track = this.#track(snap, t);
      if (!keep) continue;
      const point = pipelinePoint(this.#seq, t, track.snap, track.totals, track.series.windowStart(track.totals, track.snap));
      point.in_flight = track.peakInFlight;
      track.peakInFlight = 0;
      halved = track.series.push(point, track.totals.latency) || halved;
    }
    if (sink) {
      const track = this.#trackSink(sink, t);
      if (keep) halved = track.series.push(sinkPoint(this.#seq, t, sink, track.series.last)) || halved;
    }
    // A full series halves itself; series started later (a pipeline added by a reload) are
    // shorter and keep their finer points. From now on every series gets half as many points.
    if (halved) {
      this.#stride *= 2;
      this.#epoch++;
    }
  }

  data(since?: Cursor): RunData {
    const from = since && since.epoch === this.#epoch ? since.seq : -1;
    const pipelines: PipelineRun[] = [...this.#pipelines.values()].map((p) => ({
      pipeline: p.snap.pipeline,
      signal: p.snap.signal,
      unit: SIGNALS[p.snap.signal].unit,
      workers: p.snap.workers,
      state: p.snap.state,
      now: p.now,
      rejected: p.totals.rejectedEvents,
      dropped: p.totals.droppedEvents,
      capacity: capacityRun(p.snap.capacity),
      points: p.series.since(from),
    }));
    const s = this.#sink;
    const sink: SinkRun | null = s ? { counts: s.counts, now: s.now, points: s.series.since(from) } : null;
    return {
      run_id: this.#runId,
      replica: this.#replica,
      version: this.#version,
      started_at: new Date(this.#startedAt).toISOString(),
      updated_at: new Date(this.#sampledAt).toISOString(),
      elapsed_s: round((this.#sampledAt - this.#startedAt) / 1000, 3),
      live: this.#live,
      status: this.#live ? this.#source.health() : 'finished',
      interval_s: (this.#stride * this.#intervalMs) / 1000,
      epoch: this.#epoch,
      seq: this.#seq,
      pipelines,
      sink,
    };
  }

  /** Updates one pipeline's totals and its latest sample (a window of one sample). */
  #track(snap: PipelineSnapshot, t: number): PipelineTrack {
    const p = snap.pipeline;
    const totals: Totals = { sentEvents: 0, failedEvents: 0, retries: 0, sentBytes: 0, rejectedEvents: 0, droppedEvents: 0, inFlight: 0, sendingS: 0, latency: latencyOf(snap) };
    for (const [id, c] of Object.entries(snap.exporters)) {
      for (const f of COUNTED) {
        const key = `${p}\0${id}\0${f}`;
        this.#counters.observe(key, c[f]);
        totals[f] += this.#counters.total(key);
      }
      totals.inFlight += c.inFlight;
    }
    const track = this.#pipelines.get(p);
    // The supervisor's sending time never falls; max() keeps a stale snapshot from moving it back.
    totals.sendingS = Math.max(track?.totals.sendingS ?? 0, snap.sendingMs / 1000);
    const now = pipelinePoint(this.#seq, t, snap, totals, track?.base);
    const base = !track || now.sending_s > track.base.point.sending_s ? { point: now, latency: totals.latency } : track.base;
    const peakInFlight = Math.max(track?.peakInFlight ?? 0, totals.inFlight);
    if (track) Object.assign(track, { snap, totals, now, base, peakInFlight });
    else this.#pipelines.set(p, { snap, totals, now, base, peakInFlight, series: new PipelineSeries(this.#maxPoints) });
    return this.#pipelines.get(p)!;
  }

  #trackSink(counts: SinkCounts, t: number): SinkTrack {
    const now = sinkPoint(this.#seq, t, counts, this.#sink?.now);
    if (this.#sink) Object.assign(this.#sink, { counts, now });
    else this.#sink = { counts, now, series: new BoundedSeries(this.#maxPoints, mergeSinkPoints) };
    return this.#sink;
  }
}

function capacityRun(c: CapacityProgress | null | undefined): CapacityRun | null {
  if (!c) return null;
  return {
    step: c.step,
    phase: c.phase,
    target_events_per_second: c.target,
    max_sustained_events_per_second: c.maxSustained,
    steps: c.steps.map((st) => ({
      step: st.step, phase: st.phase, attempt: st.attempt, target_events_per_second: st.target, sent_events_per_second: st.sentRate,
      window_ms: st.windowMs, requests: st.requests, failed_requests: st.failedRequests, retries: st.retries, error_ratio: st.errorRatio,
      latency_p50_ms: st.p50Ms, latency_p99_ms: st.p99Ms, held: st.held, reasons: st.reasons,
    })),
  };
}

function sinkPoint(seq: number, t: number, counts: SinkCounts, before: SinkPoint | undefined): SinkPoint {
  const events = {} as Record<Signal, number>;
  for (const s of SIGNAL_NAMES) events[s] = counts[s].events;
  return { seq, t, events, per_s: sinkRates(events, t, before) };
}

function mergeSinkPoints(before: SinkPoint | undefined, _a: SinkPoint, b: SinkPoint): SinkPoint {
  return { ...b, per_s: sinkRates(b.events, b.t, before) };
}

/** Events/s per signal over the wall time since `before` (the sink counts as requests are answered). */
function sinkRates(events: Record<Signal, number>, t: number, before: SinkPoint | undefined): Record<Signal, number> {
  const out = {} as Record<Signal, number>;
  const dt = t - (before?.t ?? 0);
  for (const s of SIGNAL_NAMES) out[s] = dt > 0 ? round((events[s] - (before?.events[s] ?? 0)) / dt, 1) : (before?.per_s[s] ?? 0);
  return out;
}
