import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'eventemitter3';
import type { ReplaydConfig, ResolvedPipeline } from '../config/types.js';
import { resolvePipelines } from '../config/resolve.js';
import type { Logger } from '../log.js';
import { builtModule } from '../package-root.js';
import type { HealthStatus, PipelineSnapshot, PipelineState, TelemetrySource } from '../telemetry/source.js';
import type { FromWorker, ToWorker, WorkerInit } from '../worker/messages.js';
import { addCounters, emptyCounters, mergeLastFailures, type ExporterCounters, type LastFailure, type WorkerStats } from '../worker/stats.js';

interface WorkerHandle {
  thread: Worker;
  last: WorkerStats | undefined;
  alive: boolean;
  exited: Promise<void>;
}

interface PipelineHandle {
  id: string;
  resolved: ResolvedPipeline;
  /** The effective config as JSON: a reload restarts the pipeline only when this changes. */
  key: string;
  workers: WorkerHandle[];
  state: PipelineState;
  /** Everything the previous incarnations of this pipeline id counted (they survive reloads). */
  retired: Record<string, ExporterCounters>;
  retiredCycles: number;
  retiredSendingMs: number;
  retiredFailures: Record<string, LastFailure>;
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
}

/**
 * Owns the pipeline workers on the main thread: starts them, diffs configs on reload,
 * drains and abandons them, and sums their stats for the reporters.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> implements TelemetrySource {
  private readonly opts: SupervisorOptions;
  private readonly pipelines = new Map<string, PipelineHandle>();
  /** Pipelines removed by a reload keep their numbers for the summary (and take them back if re-added). */
  private readonly removed = new Map<string, PipelineHandle>();
  private status: HealthStatus = 'starting';
  private readonly reloadCounts = { succeeded: 0, failed: 0 };
  private shutdownTimeoutMs = 30_000;
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
    await Promise.all(this.startAll(resolvePipelines(cfg)));
    if (this.status === 'starting') this.status = 'running';
  }

  /**
   * Applies a new, already validated config: unchanged pipelines run on untouched;
   * removed and changed ones drain; changed and new ones start once their old
   * incarnation has drained (so the rate is never briefly doubled).
   */
  async reload(cfg: ReplaydConfig): Promise<{ kept: string[]; started: string[]; stopped: string[] }> {
    const next = new Map(resolvePipelines(cfg).map((r) => [r.pipeline.id, r]));
    const kept: string[] = [];
    const stopped: string[] = [];
    const toStart: ResolvedPipeline[] = [];
    for (const [id, h] of this.pipelines) {
      const r = next.get(id);
      if (r && JSON.stringify(r) === h.key && h.state !== 'failed') kept.push(id);
      else stopped.push(id);
    }
    for (const [id, r] of next) if (!kept.includes(id)) toStart.push(r);
    if (stopped.length > 0 || toStart.length > 0) this.status = 'reloading';
    this.shutdownTimeoutMs = cfg.service.shutdownTimeoutMs;
    try {
      await Promise.all(stopped.map((id) => this.retire(id, next.has(id))));
      const started = await Promise.all(this.startAll(toStart));
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

  /** Starts pipelines; each promise says whether that pipeline is running. */
  private startAll(resolved: ResolvedPipeline[]): Promise<boolean>[] {
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
      return this.startPipeline(r, seeds.get(key)!);
    });
  }

  private startPipeline(resolved: ResolvedPipeline, seed: [number, number]): Promise<boolean> {
    const id = resolved.pipeline.id;
    const prev = this.pipelines.get(id) ?? this.removed.get(id);
    this.removed.delete(id);
    const h: PipelineHandle = {
      id,
      resolved,
      key: JSON.stringify(resolved),
      workers: [],
      state: 'starting',
      retired: prev ? totals(prev) : {},
      retiredCycles: prev ? cyclesOf(prev) : 0,
      retiredSendingMs: prev ? sendingMsOf(prev) : 0,
      retiredFailures: prev ? lastFailuresOf(prev) : {},
    };
    this.pipelines.set(id, h);
    const ready: Promise<void>[] = [];
    for (let w = 0; w < resolved.pipeline.workers; w++) ready.push(this.startWorker(h, w, seed));
    return Promise.all(ready).then(() => {
      if (h.state === 'starting') h.state = 'running';
      return h.state !== 'failed';
    });
  }

  private startWorker(h: PipelineHandle, index: number, seed: [number, number]): Promise<void> {
    const init: WorkerInit = {
      resolved: h.resolved,
      worker: index,
      seed,
      startAt: this.startAt,
      logLevel: this.opts.logLevel,
      pretty: this.opts.pretty,
      statsIntervalMs: 1000,
    };
    const thread = new Worker(builtModule('worker/worker.js'), { workerData: init });
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const wh: WorkerHandle = { thread, last: undefined, alive: true, exited: undefined as unknown as Promise<void> };
    wh.exited = new Promise<void>((resolve) => {
      thread.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            // Every worker as it gets ready, so a start of many workers shows its progress.
            this.opts.log.info(
              { pipeline: h.id, worker: index, workers: h.resolved.pipeline.workers, frames: msg.frames, events: msg.events, bytes: msg.bytes },
              'pipeline started',
            );
            markReady();
            break;
          case 'stats':
          case 'done':
            wh.last = msg.stats;
            break;
          case 'error':
            if (msg.stats) wh.last = msg.stats;
            h.state = 'failed';
            this.opts.log.error({ pipeline: h.id, worker: index, code: msg.code }, msg.message);
            this.emit('failed', h.id, msg.code, msg.message);
            markReady();
            break;
        }
      });
      thread.on('error', (err) => {
        h.state = 'failed';
        this.opts.log.error({ pipeline: h.id, worker: index, err }, 'pipeline worker crashed');
        this.emit('failed', h.id, 'ERR_PIPELINE_CRASHED', err.message);
        markReady();
      });
      thread.on('exit', () => {
        wh.alive = false;
        // Whatever a dead worker still had in flight was never confirmed: dropped, not lost.
        if (wh.last) for (const c of Object.values(wh.last.exporters)) abandonInFlight(c);
        markReady();
        resolve();
        this.onWorkerExit(h);
      });
    });
    h.workers.push(wh);
    return ready;
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

  snapshot(): PipelineSnapshot[] {
    return [...this.removed.values(), ...this.pipelines.values()].map((h) => this.snapshotOf(h));
  }

  private snapshotOf(h: PipelineHandle): PipelineSnapshot {
    const targets = h.workers.map((w) => w.last?.rateTarget ?? null);
    const startsInMs = this.startsInMs();
    const waiting = h.state === 'running' && startsInMs !== undefined;
    return {
      pipeline: h.id,
      signal: h.resolved.pipeline.signal,
      workers: h.workers.length,
      state: waiting ? 'waiting' : h.state,
      ...(waiting ? { startsInMs } : {}),
      rateTarget: targets.some((t) => t !== null) ? targets.reduce<number>((a, t) => a + (t ?? 0), 0) : null,
      cycles: cyclesOf(h),
      sendingMs: sendingMsOf(h),
      exporters: totals(h),
      lastFailures: lastFailuresOf(h),
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

function totals(h: PipelineHandle): Record<string, ExporterCounters> {
  const out: Record<string, ExporterCounters> = {};
  for (const [id, c] of Object.entries(h.retired)) out[id] = { ...c, inFlight: 0 };
  for (const w of h.workers) {
    for (const [id, c] of Object.entries(w.last?.exporters ?? {})) addCounters((out[id] ??= emptyCounters()), c);
  }
  for (const e of h.resolved.exporters) out[e.id] ??= emptyCounters();
  return out;
}

function lastFailuresOf(h: PipelineHandle): Record<string, LastFailure> {
  const out = mergeLastFailures({}, h.retiredFailures);
  for (const w of h.workers) mergeLastFailures(out, w.last?.lastFailures);
  return out;
}

function cyclesOf(h: PipelineHandle): number {
  return h.retiredCycles + h.workers.reduce((a, w) => a + (w.last?.cycles ?? 0), 0);
}

/**
 * The workers of one incarnation send side by side, so its sending time is the longest
 * worker window (not their sum); loading time and gaps between incarnations do not count.
 */
function sendingMsOf(h: PipelineHandle): number {
  return h.retiredSendingMs + h.workers.reduce((a, w) => Math.max(a, w.last?.sendingMs ?? 0), 0);
}

function abandonInFlight(c: ExporterCounters): void {
  c.droppedFrames += c.inFlight;
  // Events per in-flight frame are unknown here; the worker reports exact drops when it
  // exits cleanly, so this only covers a worker that died or was terminated.
  c.inFlight = 0;
}

function post(w: WorkerHandle, msg: ToWorker): void {
  if (w.alive) w.thread.postMessage(msg);
}

function newSeed(): [number, number] {
  const b = randomBytes(8);
  return [b.readUInt32LE(0), b.readUInt32LE(4)];
}
