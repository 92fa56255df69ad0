import type { ResolvedPipeline } from '../config/types.js';
import { compile, compileOptions } from '../compile/compile.js';
import type { CompilePlan } from '../compile/plan.js';
import type { Exporter, ExportOutcome } from '../exporters/exporter.js';
import { GzippedBody } from '../exporters/gzip-body.js';
import { attachGzipImages } from '../compile/gzip-image.js';
import { stampGzip } from '../stamp/gzip-stamp.js';
import { createExporter } from '../exporters/index.js';
import { ABORTED_CODE } from '../exporters/retry.js';
import { ThrottledWarn } from '../exporters/throttled-warn.js';
import type { Logger } from '../log.js';
import type { Encoding, Signal } from '../otlp/signals.js';
import type { Pacer, ProcessorHooks } from '../processors/processor.js';
import { RECEIVERS } from '../receivers/index.js';
import type { ReceiverSource } from '../receivers/receiver.js';
import { IMPLICIT_TIMESTAMPS, loadWarnings, relativeWithoutTimestamp } from '../receivers/load-warnings.js';
import type { StreamedTemplate } from '../receivers/template-chunks.js';
import type { TemplateData } from '../receivers/template-data.js';
import { senderWord } from '../stamp/id-derive.js';
import { SentTraces } from '../stamp/sent-traces.js';
import { continuityBound } from '../stamp/continuity.js';
import type { LoadOptions } from '../receivers/template.js';
import type { StamperOptions } from '../stamp/stamper.js';
import { openFrameCache, pipelineCacheRequest } from './frame-cache.js';
import { type FrameSource, MemoryFrames } from './frame-source.js';
import { FrameSchedule, maxCyclesInFlight } from './frame-schedule.js';
import { LatencyHistogram, type LatencySnapshot } from './latency-histogram.js';
import { SendBufferPool } from './send-buffer-pool.js';
import { StreamedFrames } from './streamed-frames.js';
import { pipelinePlan } from './pipeline-plan.js';
import { Slots } from './slots.js';
import { sleepUntil } from './sleep-until.js';
import { emptyCounters, type ExporterCounters, type LastFailure, type WorkerStats } from './stats.js';
import type { SentTracesLink } from './messages.js';

/** Send buffers per encoding: for stamped requests, and for their stamped gzip (compression_params.stamped). */
interface Pools {
  plain: Map<Encoding, SendBufferPool>;
  gzip: Map<Encoding, SendBufferPool>;
}

/** A scheduled cycle's own frames and Stamper (its ids and times) over the compile it started with, and their buffers. */
interface CycleState {
  frames: MemoryFrames;
  pools: Pools;
}

interface Route {
  exporter: Exporter;
  /** Sent the frame's stamped gzip (compression_params.stamped) rather than the request. */
  stampedGzip: boolean;
  slots: Slots;
  counters: ExporterCounters;
  latency: LatencyHistogram;
  /** Counts a retry as it starts, so stats show a request that is still being retried. */
  countRetry: () => void;
  lastFailure?: LastFailure;
}

export interface RunnerOptions {
  resolved: ResolvedPipeline;
  worker: number;
  seed: [number, number];
  /** service.start_at in ms since the epoch: `run()` waits for it after loading. */
  startAt?: number;
  /** Correlation with the traces pipeline of the same receiver (see src/stamp/sent-traces.ts). */
  sentTraces?: SentTracesLink;
  log: Logger;
}

/**
 * One pipeline worker's loop: take the next frame → wait for an exporter slot → wait
 * for rate tokens → stamp into a pooled buffer → send → count the outcome when it
 * settles. Every stamped frame ends in exactly one of sent, failed or dropped.
 */
export class PipelineRunner {
  readonly signal: Signal;
  private readonly opts: RunnerOptions;
  /** The pipeline's processors, in the configured order, and what their compile hooks asked for. */
  private readonly processors: ProcessorHooks[];
  private readonly plan: CompilePlan;
  private readonly pacers: Pacer[];
  private readonly routes: Route[];
  private readonly encodings: Encoding[];
  private readonly routesByEncoding: Map<Encoding, Route[]>;
  private readonly warn: ThrottledWarn;
  private readonly sentTraces: SentTraces | undefined;
  private readonly stop = new AbortController();
  /** Aborts requests in flight: at the drain deadline (failed) or on a forced exit (dropped). */
  private readonly cancel = new AbortController();
  private abandoning = false;
  private readonly inFlight = new Set<Promise<void>>();
  private receiver!: ReceiverSource;
  private frames!: FrameSource;
  private pools: Pools = { plain: new Map(), gzip: new Map() };
  /** Frames (each with its own Stamper) free for the next scheduled cycle of the current compile. */
  private spare: MemoryFrames[] = [];
  /** Per encoding that some route sends as stamped gzip: the level its images are built at (the highest asked). */
  private readonly gzipLevels = new Map<Encoding, number>();
  private cycles = 0;
  /** performance.now() at which the next cycle's due times start: a paced cycle starts when the last one's length has passed. */
  private nextCycleAt = 0;
  /** Set when a pacer's load shape has ended: the pipeline is done, as when its loops are. */
  private finished = false;
  /** performance.now() when the loop started and when its last request settled: the sending window. */
  private sendingFrom: number | undefined;
  private sendingUntil: number | undefined;

  constructor(opts: RunnerOptions) {
    this.opts = opts;
    this.signal = opts.resolved.pipeline.signal;
    const { resolved, worker } = opts;
    ({ processors: this.processors, plan: this.plan } = pipelinePlan(resolved, worker));
    this.pacers = this.processors.flatMap((p) => (p.send ? [p.send] : []));
    if (this.pacers.some((p) => p.rate === 0)) {
      const { index, count } = resolved.replica;
      opts.log.warn({ replica: index, replicas: count }, 'this worker\'s share of the pipeline\'s rate is 0 events/s (fewer events per second than workers × replicas): it sends nothing');
    }
    this.routes = resolved.exporters.map((cfg) => {
      const counters = emptyCounters();
      const exporter = createExporter(cfg, opts.log);
      const stampedGzip = cfg.compression === 'gzip' && cfg.compressionStamped;
      if (stampedGzip) this.gzipLevels.set(exporter.encoding, Math.max(cfg.compressionLevel, this.gzipLevels.get(exporter.encoding) ?? 0));
      return {
        exporter, stampedGzip, slots: new Slots(cfg.maxInFlight), counters, latency: new LatencyHistogram(),
        countRetry: () => void counters.retries++,
      };
    });
    this.warn = new ThrottledWarn(opts.log);
    this.sentTraces = opts.sentTraces && new SentTraces(opts.sentTraces.buffer);
    this.encodings = [...new Set(this.routes.map((r) => r.exporter.encoding))];
    this.routesByEncoding = new Map(this.encodings.map((e) => [e, this.routes.filter((r) => r.exporter.encoding === e)]));
  }

  /** Loads the receiver's data and compiles it; throws TemplateError on bad input. */
  async load(): Promise<void> {
    const { resolved, worker } = this.opts;
    const receiver = resolved.receivers[0]!;
    // Without the timestamp processor times are sent as they are, so recorded ones are kept.
    const load = { relativeTimes: this.plan.timestamps };
    this.receiver = RECEIVERS.of(receiver).open(receiver, this.signal, worker, load);
    if (this.receiver.streamed) return this.openStreamed(this.receiver.streamed, load);
    const data = await this.receiver.initial();
    if (worker === 0) for (const w of loadWarnings(data)) this.opts.log.warn({ template: w.source }, w.message);
    const relative = relativeWithoutTimestamp(data, load);
    if (relative) {
      this.plan.timestamps = true;
      this.plan.alignEnd = true;
      if (worker === 0) this.opts.log.info({ template: relative.source }, IMPLICIT_TIMESTAMPS);
    }
    this.install(data);
    this.warnContinuityBound();
  }

  /** Metrics continuity holds a cycle until its interval has passed: say so when that caps the configured rate. */
  private warnContinuityBound(): void {
    const c = this.frames instanceof MemoryFrames ? this.frames.compiled.continuity : null;
    const interval = this.plan.continuity?.intervalMs;
    if (!c || interval === undefined || this.opts.worker !== 0 || this.pacers.length === 0) return;
    const bound = continuityBound(c, interval);
    const rate = Math.min(...this.pacers.map((p) => p.rate));
    if (rate > bound) {
      this.opts.log.warn({ points_per_second_max: Math.floor(bound), rate_target: rate, metrics_interval_ms: interval },
        'timestamp continuity: this template\'s points, one cycle per metrics_interval, cap each worker below its rate; add series (cardinality, workers) or shorten metrics_interval');
    }
  }

  /** Stream mode: frames come from the template's frame file, built first if needed. */
  private async openStreamed(template: StreamedTemplate, load: LoadOptions): Promise<void> {
    const { log, worker, resolved } = this.opts;
    const plan = this.plan;
    const file = await openFrameCache(pipelineCacheRequest(resolved, plan, this.encodings, template, load, log, worker === 0));
    if (worker === 0) for (const w of file.meta.warnings) log.warn({ template: w.source }, w.message);
    if (file.meta.implicitTimestamps) {
      plan.timestamps = true;
      plan.alignEnd = true;
      if (worker === 0) log.info({ template: file.meta.implicitTimestamps.source }, IMPLICIT_TIMESTAMPS);
    }
    // A frame file holds frames in template order with their patch tables: nothing is planned per cycle.
    const unplanned = [plan.delivery ? 'delivery' : '', plan.continuity && this.signal === 'metrics' ? 'timestamp continuity' : ''].filter((x) => x !== '');
    if (worker === 0 && unplanned.length > 0) log.warn({ not_applied: unplanned }, 'a streamed template is replayed in template order, without delivery scheduling or metrics continuity');
    this.setFrames(new StreamedFrames(file, this.stamperOptions()));
  }

  private install(data: TemplateData[]): void {
    // A delivery schedule spreads each cycle over its events at this worker's rate.
    const compiled = compile(data, compileOptions(this.plan, this.encodings, { eventsPerSecond: this.rate(), seed: this.opts.seed[0] }));
    this.setFrames(new MemoryFrames(compiled, this.stamperOptions()));
  }

  private stamperOptions(): StamperOptions {
    const { seed, resolved, worker, sentTraces } = this.opts;
    return {
      seed, replica: resolved.replica.index, worker, backdateMs: this.plan.backdateMs, alignEnd: this.plan.alignEnd,
      sentTraces: sentTraces?.role === 'follow' ? this.sentTraces : undefined, metricsIntervalMs: this.plan.continuity?.intervalMs,
    };
  }

  private setFrames(frames: FrameSource): void {
    this.frames = frames;
    this.spare = [];
    // Buffers still in flight keep a reference to their old pool and are simply collected.
    const plain = new Map(this.encodings.map((e) => [e, new SendBufferPool(frames.maxFrameBytes)]));
    // Stamped gzip needs each frame's gzip image, built once here (in memory only: a streamed
    // frame has none and its exporter compresses the request itself).
    const gzip = new Map<Encoding, SendBufferPool>();
    if (frames instanceof MemoryFrames) {
      for (const [e, level] of this.gzipLevels) {
        attachGzipImages(frames.compiled, e, level);
        gzip.set(e, new SendBufferPool(Math.max(0, ...frames.compiled.frames.map((f) => f[e]!.gzip!.bytes.length))));
      }
    }
    this.pools = { plain, gzip };
  }

  /** Events per second this worker is held to now; undefined without a pacer (or while its rate is 0). */
  private rate(): number | undefined {
    const rates = this.pacers.map((p) => p.rate).filter((r) => r > 0);
    return rates.length > 0 ? Math.min(...rates) : undefined;
  }

  /**
   * Waits for service.start_at, then replays until the receiver's loops are done, a load
   * shape ends or `drain()` is called, then waits for what is in flight. `origin` (ms since
   * the Unix epoch, the same for every worker of the pipeline) starts the pacers' clock;
   * without it, now.
   */
  async run(origin?: number): Promise<void> {
    const loops = this.receiver.loops;
    if (this.opts.startAt !== undefined) await sleepUntil(this.opts.startAt, this.stop.signal);
    this.sendingFrom = performance.now();
    for (const p of this.pacers) p.start(origin === undefined ? this.sendingFrom : origin - performance.timeOrigin);
    try {
      if (this.frames instanceof MemoryFrames && this.frames.compiled.schedule) await this.scheduled(loops);
      else while (!this.stop.signal.aborted && !this.finished && (loops === 0 || this.cycles < loops)) {
        await this.cycle();
        if (this.stop.signal.aborted || this.finished) break;
        this.publishSent(this.cycles);
        this.cycles++;
        const fresh = this.receiver.refresh(this.cycles);
        if (fresh) this.install(fresh);
      }
    } finally {
      await this.settle();
      this.sendingUntil = performance.now();
      await Promise.all([...this.routes.map((r) => r.exporter.close()), this.frames.close()]);
    }
  }

  private async cycle(): Promise<void> {
    const { frames, pools } = this;
    const controls = frames.beginCycle(this.cycles);
    if (!(await this.tracesSent())) return;
    for (const p of this.processors) p.cycle?.(controls, this.cycles);
    // Metrics continuity: a cycle's points lie at least metrics_interval after the previous cycle's, never in the future.
    const due = frames.dueAt();
    if (due > Date.now()) await sleepUntil(due, this.stop.signal);
    // Frames with a due time (paced replay) wait for it, counted from the cycle's start; a late cycle starts when it can.
    const origin = Math.max(performance.now(), this.nextCycleAt);
    this.nextCycleAt = origin + (frames.cycleMs ?? 0);
    for (let i = 0; i < frames.count; i++) {
      const dueMs = frames.dueMs(i);
      if (dueMs !== undefined) await sleepUntil(origin + dueMs, this.stop.signal, () => performance.now());
      if (!(await this.send(frames, pools, i))) return;
    }
  }

  /**
   * Delivery: frames go at their due times, interleaved over the cycles in flight (each
   * stamped by its own Stamper for its own origin); a new cycle starts every events /
   * rate, so the rate holds on average, and every frame still passes the pacers.
   */
  private async scheduled(loops: number): Promise<void> {
    const sched = new FrameSchedule<CycleState>(performance.now(), maxCyclesInFlight((this.frames as MemoryFrames).compiled));
    while (!this.stop.signal.aborted && !this.finished) {
      const { compiled } = this.frames as MemoryFrames;
      const schedule = compiled.schedule!;
      const d = sched.next(loops === 0 || sched.started < loops ? schedule.due[0] : undefined);
      if (!d) break;
      if (!d.run) {
        const frames = this.spare.pop() ?? new MemoryFrames(compiled, this.stamperOptions());
        // Cycles start events / rate apart, at the rate of the moment (a load shape moves it).
        const rate = this.rate();
        const spacing = rate ? (compiled.totalEvents / rate) * 1000 : schedule.cycleMs;
        const run = sched.start(schedule.due, { frames, pools: this.pools }, spacing, performance.now());
        // The cycle's origin on the wall clock, as the stamper writes times. Date.now() counts
        // whole ms: 1 ms earlier keeps every stamped end at or before the wall-clock ms it is sent in.
        const controls = frames.beginCycle(run.cycle, Date.now() - 1 - performance.now() + run.origin);
        for (const p of this.processors) p.cycle?.(controls, run.cycle);
        continue;
      }
      if (d.at > performance.now()) await sleepUntil(d.at, this.stop.signal, () => performance.now());
      if (this.stop.signal.aborted) break;
      const { frames, pools } = d.run.state;
      if (!(await this.send(frames, pools, d.run.next))) break;
      if (!sched.advance(d.run)) continue;
      // A cycle of an older compile (before a generator refresh) is simply collected.
      if (frames.compiled === compiled) this.spare.push(frames);
      this.publishSent(d.run.cycle);
      this.cycles++;
      const fresh = this.receiver.refresh(this.cycles);
      if (fresh) this.install(fresh);
    }
  }

  /**
   * Waits for frame `i` to be readable, every exporter's slot and the pacers, then stamps
   * it and sends it; false = stop: the drain began, or a pacer will never admit again (the
   * worker is done).
   */
  private async send(frames: FrameSource, pools: Pools, i: number): Promise<boolean> {
    const reading = frames.ready(i);
    if (reading) await reading;
    for (const r of this.routes) await r.slots.acquire();
    const events = frames.events(i);
    let admitted = true;
    for (const pacer of this.pacers) if (admitted) admitted = await pacer.take(events, this.stop.signal);
    if (!admitted || this.stop.signal.aborted) {
      for (const r of this.routes) r.slots.release();
      // A pacer that will never admit (a zero share, or a load shape that ended) ends the worker.
      if (!this.stop.signal.aborted) this.finished = true;
      return false;
    }
    for (const enc of this.encodings) {
      const pool = pools.plain.get(enc)!;
      const buf = pool.get();
      const body = buf.subarray(0, frames.stamp(i, enc, buf));
      const gzipPool = pools.gzip.get(enc);
      const gzipBuf = gzipPool?.get();
      const gzipLength = gzipBuf ? stampGzip(frames.gzipImage(i, enc)!, body, gzipBuf) : -1;
      // -1: this send broke the image's assumption (stampGzip); the exporter compresses the request itself.
      const gzipped = gzipLength >= 0 ? new GzippedBody(gzipBuf!.subarray(0, gzipLength)) : body;
      const routes = this.routesByEncoding.get(enc)!;
      let pending = routes.length;
      for (const r of routes) {
        r.counters.inFlight++;
        const sentAt = performance.now();
        const p = r.exporter
          .export(this.signal, r.stampedGzip ? gzipped : body, this.cancel.signal, r.countRetry)
          .then((outcome) => this.count(r, outcome, events, body.length, performance.now() - sentAt))
          .finally(() => {
            r.counters.inFlight--;
            r.slots.release();
            if (--pending === 0) {
              pool.put(buf);
              if (gzipBuf) gzipPool!.put(gzipBuf);
            }
            this.inFlight.delete(p);
          });
        this.inFlight.add(p);
      }
    }
    return true;
  }

  /** A traces pipeline tells the pipelines that follow it that `cycle` has been sent whole. */
  private publishSent(cycle: number): void {
    if (this.opts.sentTraces?.role !== 'publish') return;
    const { seed, resolved, worker } = this.opts;
    this.sentTraces!.publish({ seed, sender: senderWord(resolved.replica.index, worker), cycle, idRegen: this.plan.idRegen });
  }

  /**
   * A follower whose data names traces (trace ids with id_regen) waits until its traces
   * pipeline has sent one cycle completely, so it never names a span that was not sent.
   * False when stopped while waiting.
   */
  private async tracesSent(): Promise<boolean> {
    const sent = this.sentTraces;
    if (this.opts.sentTraces?.role !== 'follow' || !sent || !this.plan.idRegen || !this.frames.namesTraces || sent.latest()) return true;
    if (this.opts.worker === 0) this.opts.log.info({}, 'waiting for the traces pipeline of this receiver to send its first whole cycle: trace ids here name only spans already sent');
    while (!sent.latest()) {
      await sleepUntil(performance.now() + 20, this.stop.signal, () => performance.now());
      if (this.stop.signal.aborted) return false;
    }
    return true;
  }

  /**
   * Retries are counted as they start (see Route.countRetry), not here. Latency runs from
   * the first attempt to the outcome (retries and their backoff included); requests we
   * cancelled ourselves (drain deadline, forced exit) are not timed.
   */
  private count(r: Route, o: ExportOutcome, events: number, bytes: number, latencyMs: number): void {
    const c = r.counters;
    if (o.code !== ABORTED_CODE) r.latency.record(latencyMs);
    if (o.status === 'sent') {
      c.sentFrames++;
      c.sentEvents += events - o.rejected;
      c.rejectedEvents += o.rejected;
      c.sentBytes += o.wireBytes;
      c.sentUncompressedBytes += bytes;
      if (o.unparsed !== undefined) c.unparsedResponses++;
    } else if (this.abandoning && o.code === ABORTED_CODE) {
      c.droppedFrames++;
      c.droppedEvents += events;
    } else {
      c.failedFrames++;
      c.failedEvents += events;
      r.lastFailure = { code: o.code ?? 'UNKNOWN', message: o.message ?? '', atMs: Date.now() };
      // The exporter logs its own failures (throttled); a cancel at the drain deadline is ours.
      if (o.code === ABORTED_CODE) {
        this.warn.warn(`deadline:${r.exporter.id}`, { exporter: r.exporter.id, code: o.code, reason: o.message },
          'export failed: still in flight at the drain deadline (service.shutdown_timeout)');
      }
    }
  }

  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops taking frames; requests still in flight after `timeoutMs` are cancelled and counted as failed. */
  drain(timeoutMs: number): void {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    const t = setTimeout(() => this.cancel.abort(), timeoutMs);
    t.unref();
  }

  /** Holds the pipeline to `eventsPerSecond` from now on (the pacers take their worker's share). */
  setRate(eventsPerSecond: number): void {
    for (const p of this.pacers) p.setRate(eventsPerSecond);
  }

  /** A forced exit: cancel everything now and count what was in flight as dropped. */
  abandon(): void {
    this.abandoning = true;
    this.stop.abort();
    this.cancel.abort();
  }

  compiledSummary(): { frames: number; events: number; bytes: number } {
    return this.frames.summary(this.encodings[0]!);
  }

  stats(): WorkerStats {
    const exporters: Record<string, ExporterCounters> = {};
    const lastFailures: Record<string, LastFailure> = {};
    const latency: Record<string, LatencySnapshot> = {};
    for (const r of this.routes) {
      exporters[r.exporter.id] = { ...r.counters };
      if (r.lastFailure) lastFailures[r.exporter.id] = r.lastFailure;
      latency[r.exporter.id] = r.latency.snapshot();
    }
    return {
      pipeline: this.opts.resolved.pipeline.id,
      worker: this.opts.worker,
      signal: this.signal,
      cycles: this.cycles,
      rateTarget: this.pacers[0]?.rate ?? null,
      stage: this.pacers[0]?.stage ?? null,
      sendingMs: this.sendingFrom === undefined ? 0 : (this.sendingUntil ?? performance.now()) - this.sendingFrom,
      exporters,
      lastFailures,
      latency,
    };
  }
}
