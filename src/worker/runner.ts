import { setMaxListeners } from 'node:events';
import type { CompilePlan } from '../compile/plan.js';
import type { ResolvedPipeline } from '../config/types.js';
import { GzippedBody } from '../exporters/gzip-body.js';
import { ThrottledWarn } from '../exporters/throttled-warn.js';
import type { Logger } from '../log.js';
import type { Encoding, Signal } from '../otlp/signals.js';
import type { Pacer, ProcessorHooks } from '../processors/processor.js';
import { RECEIVERS } from '../receivers/index.js';
import type { ReceiverSource } from '../receivers/receiver.js';
import type { TemplateData } from '../receivers/template-data.js';
import { stampGzip } from '../stamp/gzip-stamp.js';
import type { StamperOptions } from '../stamp/stamper.js';
import { collectGarbage } from './collect-garbage.js';
import { type FrameSource, MemoryFrames } from './frame-source.js';
import type { LatencySnapshot } from './latency-histogram.js';
import type { SentTracesLink } from './messages.js';
import { compileFrames, type FramesContext, loadFrames, type Pools, sendPools } from './pipeline-frames.js';
import { pipelinePlan } from './pipeline-plan.js';
import { countOutcome, createRoute, type Route } from './route.js';
import { runScheduled } from './scheduled-loop.js';
import { sleepUntil } from './sleep-until.js';
import { TracesLink } from './traces-link.js';
import type { ExporterCounters, LastFailure, WorkerStats } from './stats.js';

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
 * for rate tokens → stamp (into a pooled buffer, or a streamed frame where it was read)
 * → send → count the outcome when it settles. Every stamped frame ends in exactly one of sent, failed or dropped.
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
  private readonly traces: TracesLink;
  private readonly stop = new AbortController();
  /** Aborts requests in flight: at the drain deadline (failed) or on a forced exit (dropped). */
  private readonly cancel = new AbortController();
  private abandoning = false;
  private readonly inFlight = new Set<Promise<void>>();
  private receiver!: ReceiverSource;
  private frames!: FrameSource;
  private pools: Pools = { plain: new Map(), gzip: new Map() };
  private readonly framesContext: FramesContext;
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
    // Every request in flight listens on both (max_in_flight may be in the hundreds): not a leak.
    setMaxListeners(0, this.stop.signal, this.cancel.signal);
    this.signal = opts.resolved.pipeline.signal;
    const { resolved, worker } = opts;
    ({ processors: this.processors, plan: this.plan } = pipelinePlan(resolved, worker));
    this.pacers = this.processors.flatMap((p) => (p.send ? [p.send] : []));
    if (this.pacers.some((p) => p.rate === 0)) {
      const { index, count } = resolved.replica;
      opts.log.warn({ replica: index, replicas: count }, 'this worker\'s share of the pipeline\'s rate is 0 events/s (fewer events per second than workers × replicas): it sends nothing');
    }
    this.routes = resolved.exporters.map((cfg) => createRoute(cfg, opts.log));
    this.warn = new ThrottledWarn(opts.log);
    this.traces = new TracesLink(opts.sentTraces, { seed: opts.seed, replica: resolved.replica.index, worker }, opts.log);
    this.encodings = [...new Set(this.routes.map((r) => r.exporter.encoding))];
    this.routesByEncoding = new Map(this.encodings.map((e) => [e, this.routes.filter((r) => r.exporter.encoding === e)]));
    this.framesContext = {
      resolved, worker, seed: opts.seed, log: opts.log, plan: this.plan, encodings: this.encodings, pacers: this.pacers,
      stamperOptions: () => this.stamperOptions(), rate: () => this.rate(),
    };
  }

  /** Loads the receiver's data and compiles it; throws TemplateError on bad input. */
  async load(): Promise<void> {
    const { resolved, worker } = this.opts;
    const receiver = resolved.receivers[0]!;
    // Without the timestamp processor times are sent as they are, so recorded ones are kept.
    const load = { relativeTimes: this.plan.timestamps };
    this.receiver = RECEIVERS.of(receiver).open(receiver, this.signal, worker, load);
    this.setFrames(await loadFrames(this.framesContext, this.receiver, load));
    // What loading and compiling left behind goes now, before sending allocates its buffers on top of it.
    collectGarbage();
  }

  /** A generator refresh: its new data replaces the frames; requests in flight keep their old buffers. */
  private install(data: TemplateData[]): void {
    this.setFrames(compileFrames(this.framesContext, data));
  }

  private stamperOptions(): StamperOptions {
    const { seed, resolved, worker } = this.opts;
    return {
      seed, replica: resolved.replica.index, worker, backdateMs: this.plan.backdateMs, alignEnd: this.plan.alignEnd,
      sentTraces: this.traces.followed, metricsIntervalMs: this.plan.continuity?.intervalMs,
    };
  }

  private setFrames(frames: FrameSource): void {
    this.frames = frames;
    // Buffers still in flight keep a reference to their old pool and are simply collected.
    this.pools = sendPools(frames, this.encodings, this.routes);
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
      if (this.frames instanceof MemoryFrames && this.frames.compiled.schedule) await runScheduled(this.scheduledHost(), loops);
      else while (!this.stop.signal.aborted && !this.finished && (loops === 0 || this.cycles < loops)) {
        await this.cycle();
        if (this.stop.signal.aborted || this.finished) break;
        this.cycleSent(this.cycles);
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
    if (!(await this.traces.tracesSent(frames.namesTraces, this.plan.idRegen, this.stop.signal))) return;
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

  private scheduledHost(): Parameters<typeof runScheduled>[0] {
    return {
      stop: this.stop.signal,
      processors: this.processors,
      current: () => ({ frames: this.frames as MemoryFrames, pools: this.pools }),
      finished: () => this.finished,
      rate: () => this.rate(),
      stamperOptions: () => this.stamperOptions(),
      send: (frames, pools, i) => this.send(frames, pools, i),
      cycleSent: (cycle) => this.cycleSent(cycle),
    };
  }

  /** Cycle `cycle` went to the exporters whole: followers may name it, and a generator makes the next cycle's data. */
  private cycleSent(cycle: number): void {
    this.traces.publish(cycle, this.plan.idRegen);
    this.cycles++;
    const fresh = this.receiver.refresh(this.cycles);
    if (fresh) this.install(fresh);
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
      const request = frames.stamp(i, enc, pools.plain.get(enc)!);
      const body = request.bytes;
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
          .then((outcome) => countOutcome(r, outcome, events, body.length, performance.now() - sentAt, this.abandoning, this.warn))
          .finally(() => {
            r.counters.inFlight--;
            r.slots.release();
            if (--pending === 0) {
              request.release();
              if (gzipBuf) gzipPool!.put(gzipBuf);
            }
            this.inFlight.delete(p);
          });
        this.inFlight.add(p);
      }
    }
    return true;
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
