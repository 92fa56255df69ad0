import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { ReplaydConfig, ResolvedPipeline } from '../config/types.js';
import { resolvePipelines } from '../config/resolve.js';
import type { Logger } from '../log.js';
import type { CapacityProgress, HealthStatus, PipelineSnapshot, PipelineState, TelemetrySource } from '../telemetry/source.js';
import type { RateControl } from './capacity-search.js';
import type { SentTracesLink, WorkerInit } from '../worker/messages.js';
import { cyclesOf, lastFailuresOf, latencyOf, sendingMsOf, totals, type PipelineNumbers } from './pipeline-totals.js';
import { post, startWorker, type WorkerHandle } from './pipeline-worker.js';
import { SentTracesLinks } from './sent-traces-links.js';

interface PipelineHandle extends PipelineNumbers {
  id: string;
  /** The effective config as JSON, and its part in correlation: a reload restarts the pipeline only when this changes. */
  key: string;
  workers: WorkerHandle[];
  state: PipelineState;
  /** When its workers started sending (ms since the Unix epoch): the origin of load shapes. */
  origin: number | null;
  capacity: CapacityProgress | null;
}

export interface SupervisorEvents {
  /** A pipeline could not start or crashed; `code` is a stable error code. */
  failed: (pipeline: string, code: string, message: string) => void;
  /** Every pipeline has ended (loops done, failed or drained). */
  idle: () => void;
}

export interface SupervisorOptions {
  log: Logger;
  logLevel: string;
  pretty: boolean;
  /** Workers log to stderr too. */
  stderr?: boolean;
}

/**
 * Owns the pipeline workers on the main thread: starts them, diffs configs on reload,
 * drains and abandons them, and sums their stats for the reporters.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> implements TelemetrySource, RateControl {
  private readonly opts: SupervisorOptions;
  private readonly pipelines = new Map<string, PipelineHandle>();
  /** Pipelines removed by a reload keep their numbers for the summary (and take them back if re-added). */
  private readonly removed = new Map<string, PipelineHandle>();
  private status: HealthStatus = 'starting';
  private readonly reloadCounts = { succeeded: 0, failed: 0 };
  private shutdownTimeoutMs = 30_000;
  /** The traces cycles sent per receiver, which its logs and metrics pipelines name. */
  private readonly sentTraces = new SentTracesLinks();
  /** service.start_at (ms since the epoch) of the first start: workers started before it hold their first request until then. */
  private startAt: number | undefined;

  constructor(opts: SupervisorOptions) {
    super();
    this.opts = opts;
  }

  /**
   * Starts the pipelines of the first config; resolves when every one is ready or failed.
   * With `startAt` (ms since the epoch) they load and compile now and send from then on.
   */
  async start(cfg: ReplaydConfig, startAt?: number): Promise<void> {
    this.shutdownTimeoutMs = cfg.service.shutdownTimeoutMs;
    this.startAt = startAt;
    const all = resolvePipelines(cfg);
    await Promise.all(this.startAll(all, all));
    if (this.status === 'starting') this.status = 'running';
  }

  /**
   * Applies a new, already validated config: unchanged pipelines run on untouched;
   * removed and changed ones drain; changed and new ones start once their old
   * incarnation has drained (so the rate is never briefly doubled).
   */
  async reload(cfg: ReplaydConfig): Promise<{ kept: string[]; started: string[]; stopped: string[] }> {
    const all = resolvePipelines(cfg);
    const next = new Map(all.map((r) => [r.pipeline.id, r]));
    const kept: string[] = [];
    const stopped: string[] = [];
    const toStart: ResolvedPipeline[] = [];
    for (const [id, h] of this.pipelines) {
      const r = next.get(id);
      // A logs pipeline whose receiver gains or loses a traces pipeline restarts to follow it, or stop following.
      if (r && pipelineKey(r, this.sentTraces.role(r, all)) === h.key && h.state !== 'failed') kept.push(id);
      else stopped.push(id);
    }
    for (const [id, r] of next) if (!kept.includes(id)) toStart.push(r);
    if (stopped.length > 0 || toStart.length > 0) this.status = 'reloading';
    this.shutdownTimeoutMs = cfg.service.shutdownTimeoutMs;
    try {
      await Promise.all(stopped.map((id) => this.retire(id, next.has(id))));
      const started = await Promise.all(this.startAll(toStart, all));
      // A new pipeline that could not start (e.g. a bad template) makes the reload a failure.
      if (started.every(Boolean)) this.reloadCounts.succeeded++;
      else this.reloadCounts.failed++;
    } catch (err) {
      this.reloadCounts.failed++;
      throw err;
    } finally {
      if (this.status === 'reloading') this.status = 'running';
    }
    return { kept, started: toStart.map((r) => r.pipeline.id), stopped };
  }

  /** Counts a reload that failed validation (the old pipelines keep running). */
  reloadRejected(): void {
    this.reloadCounts.failed++;
  }

  /** Starts pipelines of config `all`; each promise says whether that pipeline is running. */
  private startAll(resolved: ResolvedPipeline[], all: ResolvedPipeline[]): Promise<boolean>[] {
    // Pipelines started together from one receiver share a seed, so correlated logs and
    // traces get the same new ids; every new incarnation gets a new seed, so a restarted
    // pipeline never repeats the ids it sent before.
    // Two pipelines of the same signal from one receiver must not share a seed, or they
    // would send the same ids: the n-th traces pipeline pairs with the n-th logs pipeline.
    const seeds = new Map<string, [number, number]>();
    const ordinals = new Map<string, number>();
    return resolved.map((r) => {
      const rid = r.receivers[0]!.id;
      const nth = ordinals.get(`${rid}\0${r.pipeline.signal}`) ?? 0;
      ordinals.set(`${rid}\0${r.pipeline.signal}`, nth + 1);
      const key = `${rid}\0${nth}`;
      if (!seeds.has(key)) seeds.set(key, newSeed());
      return this.startPipeline(r, seeds.get(key)!, this.sentTraces.link(r, all));
    });
  }

  private startPipeline(resolved: ResolvedPipeline, seed: [number, number], sentTraces: SentTracesLink | undefined): Promise<boolean> {
    const id = resolved.pipeline.id;
    const prev = this.pipelines.get(id) ?? this.removed.get(id);
    this.removed.delete(id);
    const h: PipelineHandle = {
      id,
      resolved,
      key: pipelineKey(resolved, sentTraces?.role),
      workers: [],
      state: 'starting',
      retired: prev ? totals(prev) : {},
      retiredCycles: prev ? cyclesOf(prev) : 0,
      retiredSendingMs: prev ? sendingMsOf(prev) : 0,
      retiredFailures: prev ? lastFailuresOf(prev) : {},
      retiredLatency: prev ? latencyOf(prev) : {},
      origin: null,
      capacity: null,
    };
    this.pipelines.set(id, h);
    const ready: Promise<void>[] = [];
    for (let w = 0; w < resolved.pipeline.workers; w++) ready.push(this.startWorker(h, w, seed, sentTraces));
    return Promise.all(ready).then(() => {
      if (h.state === 'starting') h.state = 'running';
      // All workers start sending together, on one clock: a load shape is shared exactly.
      // With service.start_at ahead, sending (and a load shape) starts then, not when loaded.
      const origin = Math.max(performance.timeOrigin + performance.now(), this.startAt ?? 0);
      h.origin = origin;
      for (const w of h.workers) post(w, { type: 'start', origin });
      this.opts.log.info({ pipeline: id, workers: h.workers.length, origin: Math.round(origin * 1000) / 1000 }, 'pipeline sending');
      return h.state !== 'failed';
    });
  }

  private startWorker(h: PipelineHandle, index: number, seed: [number, number], sentTraces: SentTracesLink | undefined): Promise<void> {
    const init: WorkerInit = {
      resolved: h.resolved,
      worker: index,
      seed,
      startAt: this.startAt,
      logLevel: this.opts.logLevel,
      pretty: this.opts.pretty,
      stderr: this.opts.stderr ?? false,
      statsIntervalMs: 1000,
      sentTraces,
    };
    return startWorker(h, init, this.opts.log, {
      failed: (code, message) => this.emit('failed', h.id, code, message),
      exited: () => this.onWorkerExit(h),
    });
  }

  private onWorkerExit(h: PipelineHandle): void {
    if (this.pipelines.get(h.id) !== h) return;
    if (h.workers.every((w) => !w.alive) && h.state !== 'failed') h.state = 'stopped';
    const active = [...this.pipelines.values()].some((p) => p.state === 'starting' || p.state === 'running' || p.state === 'draining');
    if (!active && this.status !== 'reloading') this.emit('idle');
  }

  /** Drains one pipeline; if it is not coming back, keeps its final numbers for the summary. */
  private async retire(id: string, replaced: boolean): Promise<void> {
    const h = this.pipelines.get(id)!;
    await this.drainPipeline(h, this.shutdownTimeoutMs);
    if (!replaced) {
      this.removed.set(id, h);
      this.pipelines.delete(id);
    }
  }

  private async drainPipeline(h: PipelineHandle, timeoutMs: number): Promise<void> {
    if (h.state === 'running' || h.state === 'starting') h.state = 'draining';
    for (const w of h.workers) post(w, { type: 'drain', timeoutMs });
    // The worker cancels what is still in flight at the deadline; the grace covers closing.
    const hard = setTimeout(() => { for (const w of h.workers) void w.thread.terminate(); }, timeoutMs + 5000);
    await Promise.all(h.workers.map((w) => w.exited));
    clearTimeout(hard);
    if (h.state !== 'failed') h.state = 'stopped';
  }

  /** Drains everything within the shutdown timeout. */
  async shutdown(): Promise<void> {
    this.status = 'draining';
    await Promise.all([...this.pipelines.values()].map((h) => this.drainPipeline(h, this.shutdownTimeoutMs)));
  }

  /** A second signal: cancel everything now; what was in flight is counted as dropped. */
  async abandon(): Promise<void> {
    this.status = 'draining';
    const all = [...this.pipelines.values()].flatMap((h) => h.workers);
    for (const w of all) post(w, { type: 'abandon' });
    const hard = setTimeout(() => { for (const w of all) void w.thread.terminate(); }, 1000);
    await Promise.all(all.map((w) => w.exited));
    clearTimeout(hard);
  }

  /** Holds a running pipeline to `eventsPerSecond` (its workers share it) from now on, replacing its configured rate or stages. */
  setRate(id: string, eventsPerSecond: number): void {
    for (const w of this.pipelines.get(id)?.workers ?? []) post(w, { type: 'rate', eventsPerSecond });
  }

  showCapacity(id: string, progress: CapacityProgress): void {
    const h = this.pipelines.get(id);
    if (h) h.capacity = progress;
  }

  /** The pipeline's numbers as its workers count them now, not as of their last periodic stats. */
  async refresh(id: string): Promise<PipelineSnapshot | undefined> {
    const h = this.pipelines.get(id);
    if (!h) return undefined;
    await Promise.all(h.workers.filter((w) => w.alive).map((w) => new Promise<void>((resolve) => {
      w.waiters.push(resolve);
      post(w, { type: 'stats' });
    })));
    return this.snapshotOf(h);
  }

  snapshot(): PipelineSnapshot[] {
    return [...this.removed.values(), ...this.pipelines.values()].map((h) => this.snapshotOf(h));
  }

  private snapshotOf(h: PipelineHandle): PipelineSnapshot {
    const targets = h.workers.map((w) => w.last?.rateTarget ?? null);
    const startsInMs = this.startsInMs();
    const waiting = h.state === 'running' && startsInMs !== undefined;
    const stage = h.workers.find((w) => w.last?.stage != null)?.last?.stage ?? null;
    return {
      pipeline: h.id,
      signal: h.resolved.pipeline.signal,
      workers: h.workers.length,
      state: waiting ? 'waiting' : h.state,
      ...(waiting ? { startsInMs } : {}),
      rateTarget: targets.some((t) => t !== null) ? targets.reduce<number>((a, t) => a + (t ?? 0), 0) : null,
      stage,
      origin: h.origin,
      cycles: cyclesOf(h),
      sendingMs: sendingMsOf(h),
      exporters: totals(h),
      lastFailures: lastFailuresOf(h),
      latency: latencyOf(h),
      capacity: h.capacity,
    };
  }

  health(): HealthStatus {
    return this.status === 'running' && this.startsInMs() !== undefined ? 'waiting' : this.status;
  }

  /** ms until service.start_at, while it is ahead. */
  private startsInMs(): number | undefined {
    const left = this.startAt === undefined ? 0 : this.startAt - Date.now();
    return left > 0 ? left : undefined;
  }

  reloads(): { succeeded: number; failed: number } {
    return { ...this.reloadCounts };
  }
}

function pipelineKey(r: ResolvedPipeline, role: SentTracesLink['role'] | undefined): string {
  return JSON.stringify([r, role ?? null]);
}

function newSeed(): [number, number] {
  const b = randomBytes(8);
  return [b.readUInt32LE(0), b.readUInt32LE(4)];
}
