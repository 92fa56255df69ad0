import type { ResolvedPipeline } from '../config/types.js';
import { compile, compileOptions } from '../compile/compile.js';
import type { CompiledTemplate } from '../compile/frame.js';
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
import type { TemplateData } from '../receivers/template-data.js';
import { Stamper } from '../stamp/stamper.js';
import { LatencyHistogram, type LatencySnapshot } from './latency-histogram.js';
import { SendBufferPool } from './send-buffer-pool.js';
import { pipelinePlan } from './pipeline-plan.js';
import { Slots } from './slots.js';
import { emptyCounters, type ExporterCounters, type LastFailure, type WorkerStats } from './stats.js';

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
  private readonly stop = new AbortController();
  /** Aborts requests in flight: at the drain deadline (failed) or on a forced exit (dropped). */
  private readonly cancel = new AbortController();
  private abandoning = false;
  private readonly inFlight = new Set<Promise<void>>();
  private receiver!: ReceiverSource;
  private compiled!: CompiledTemplate;
  private stamper!: Stamper;
  private pools = new Map<Encoding, SendBufferPool>();
  /** Per encoding that some route sends as stamped gzip: the level its images are built at (the highest asked). */
  private readonly gzipLevels = new Map<Encoding, number>();
  private gzipPools = new Map<Encoding, SendBufferPool>();
  private cycles = 0;
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
    const data = await this.receiver.initial();
    if (worker === 0) for (const w of loadWarnings(data)) this.opts.log.warn({ template: w.source }, w.message);
    const relative = relativeWithoutTimestamp(data, load);
    if (relative) {
      this.plan.timestamps = true;
      this.plan.alignEnd = true;
      if (worker === 0) this.opts.log.info({ template: relative.source }, IMPLICIT_TIMESTAMPS);
    }
    this.install(data);
  }

  private install(data: TemplateData[]): void {
    const plan = this.plan;
    this.compiled = compile(data, compileOptions(plan, this.encodings));
    this.stamper = new Stamper(this.compiled, {
      seed: this.opts.seed, replica: this.opts.resolved.replica.index, worker: this.opts.worker, backdateMs: plan.backdateMs, alignEnd: plan.alignEnd,
    });
    // Buffers still in flight keep a reference to their old pool and are simply collected.
    this.pools = new Map(this.encodings.map((e) => [e, new SendBufferPool(this.compiled.maxFrameBytes)]));
    this.gzipPools = new Map([...this.gzipLevels].map(([e, level]) => {
      attachGzipImages(this.compiled, e, level);
      return [e, new SendBufferPool(Math.max(0, ...this.compiled.frames.map((f) => f[e]!.gzip!.bytes.length)))];
    }));
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
      while (!this.stop.signal.aborted && !this.finished && (loops === 0 || this.cycles < loops)) {
        await this.cycle();
        if (this.stop.signal.aborted || this.finished) break;
        this.cycles++;
        const fresh = this.receiver.refresh(this.cycles);
        if (fresh) this.install(fresh);
      }
    } finally {
      await this.settle();
      this.sendingUntil = performance.now();
      await Promise.all(this.routes.map((r) => r.exporter.close()));
    }
  }

  private async cycle(): Promise<void> {
    const { frames } = this.compiled;
    const stamper = this.stamper;
    stamper.beginCycle(this.cycles);
    for (const p of this.processors) p.cycle?.(stamper, this.cycles);
    for (let i = 0; i < frames.length; i++) {
      for (const r of this.routes) await r.slots.acquire();
      const events = frames[i]!.events;
      let admitted = true;
      for (const pacer of this.pacers) if (admitted) admitted = await pacer.take(events, this.stop.signal);
      if (!admitted || this.stop.signal.aborted) {
        for (const r of this.routes) r.slots.release();
        // A pacer that will never admit (a zero share, or a load shape that ended) ends the worker.
        if (!this.stop.signal.aborted) this.finished = true;
        return;
      }
      for (const enc of this.encodings) {
        const pool = this.pools.get(enc)!;
        const buf = pool.get();
        const body = buf.subarray(0, stamper.stamp(i, enc, buf));
        const gzipPool = this.gzipPools.get(enc);
        const gzipBuf = gzipPool?.get();
        const gzipLength = gzipBuf ? stampGzip(frames[i]![enc]!.gzip!, body, gzipBuf) : -1;
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
    }
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
    const c = this.compiled;
    let bytes = 0;
    for (const f of c.frames) bytes += f.byteLength[this.encodings[0]!] ?? 0;
    return { frames: c.frames.length, events: c.totalEvents, bytes };
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

/** Resolves at `epochMs` on the wall clock (the moment replicas agree on), or when `abort` fires. */
function sleepUntil(epochMs: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) return resolve();
    // Timers wake up to ~1 ms early or late; re-arm until the clock has really passed the moment.
    let t: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(t);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const arm = (): void => {
      const left = epochMs - Date.now();
      if (left <= 0) return done();
      t = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
    };
    abort.addEventListener('abort', done, { once: true });
    arm();
  });
}
