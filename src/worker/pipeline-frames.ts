/**
 * Where a pipeline worker's frames come from: its receiver's data compiled in memory, or
 * (stream mode) the template's frame file, built first if needed; and the send buffers
 * that fit them. What loading finds out about the data (relative times without the
 * timestamp processor) is written into the pipeline's CompilePlan.
 */
import { compile, compileOptions } from '../compile/compile.js';
import { attachGzipImages } from '../compile/gzip-image.js';
import type { CompilePlan } from '../compile/plan.js';
import type { ResolvedPipeline } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Encoding } from '../otlp/signals.js';
import type { Pacer } from '../processors/processor.js';
import { IMPLICIT_TIMESTAMPS, loadWarnings, relativeWithoutTimestamp } from '../receivers/load-warnings.js';
import type { ReceiverSource } from '../receivers/receiver.js';
import type { LoadOptions } from '../receivers/template.js';
import type { StreamedTemplate } from '../receivers/template-chunks.js';
import type { TemplateData } from '../receivers/template-data.js';
import { continuityBound } from '../stamp/continuity.js';
import type { StamperOptions } from '../stamp/stamper.js';
import { openFrameCache, pipelineCacheRequest } from './frame-cache.js';
import { type FrameSource, MemoryFrames } from './frame-source.js';
import type { Route } from './route.js';
import { SendBufferPool } from './send-buffer-pool.js';
import { StreamedFrames } from './streamed-frames.js';

/** What loading needs of its pipeline worker. */
export interface FramesContext {
  resolved: ResolvedPipeline;
  worker: number;
  seed: [number, number];
  log: Logger;
  /** Written by loading (see the module comment). */
  plan: CompilePlan;
  encodings: Encoding[];
  pacers: Pacer[];
  stamperOptions(): StamperOptions;
  /** Events per second this worker is held to now; undefined without a pacer. */
  rate(): number | undefined;
}

/** Send buffers per encoding: for stamped requests, and for their stamped gzip (compression_params.stamped). */
export interface Pools {
  plain: Map<Encoding, SendBufferPool>;
  gzip: Map<Encoding, SendBufferPool>;
}

/** Opens the receiver's data as frames; throws TemplateError on bad input. */
export async function loadFrames(ctx: FramesContext, receiver: ReceiverSource, load: LoadOptions): Promise<FrameSource> {
  if (receiver.streamed) return openStreamed(ctx, receiver.streamed, load);
  const { log, worker, plan } = ctx;
  const data = await receiver.initial();
  if (worker === 0) for (const w of loadWarnings(data)) log.warn({ template: w.source }, w.message);
  const relative = relativeWithoutTimestamp(data, load);
  if (relative) {
    plan.timestamps = true;
    plan.alignEnd = true;
    if (worker === 0) log.info({ template: relative.source }, IMPLICIT_TIMESTAMPS);
  }
  const frames = compileFrames(ctx, data);
  warnContinuityBound(ctx, frames);
  return frames;
}

/** Compiles data (at load, and at each generator refresh). */
export function compileFrames(ctx: FramesContext, data: TemplateData[]): MemoryFrames {
  // A delivery schedule spreads each cycle over its events at this worker's rate.
  const compiled = compile(data, compileOptions(ctx.plan, ctx.encodings, { eventsPerSecond: ctx.rate(), seed: ctx.seed[0] }));
  return new MemoryFrames(compiled, ctx.stamperOptions());
}

/**
 * Send buffers for `frames`. Stamped gzip needs each frame's gzip image, built here at the
 * highest level a route of its encoding asks for (in memory only: a streamed frame has none and its
 * exporter compresses the request itself).
 */
export function sendPools(frames: FrameSource, encodings: Encoding[], routes: Route[]): Pools {
  const plain = new Map(encodings.map((e) => [e, new SendBufferPool(frames.maxFrameBytes)]));
  const gzip = new Map<Encoding, SendBufferPool>();
  if (frames instanceof MemoryFrames) {
    for (const [e, level] of gzipLevels(routes)) {
      attachGzipImages(frames.compiled, e, level);
      gzip.set(e, new SendBufferPool(Math.max(0, ...frames.compiled.frames.map((f) => f[e]!.gzip!.bytes.length))));
    }
  }
  return { plain, gzip };
}

/** Per encoding that some route sends as stamped gzip: the level its images are built at (the highest asked). */
function gzipLevels(routes: Route[]): Map<Encoding, number> {
  const levels = new Map<Encoding, number>();
  for (const r of routes) {
    const e = r.exporter.encoding;
    if (r.stampedGzip) levels.set(e, Math.max(r.gzipLevel, levels.get(e) ?? 0));
  }
  return levels;
}

/** Stream mode: frames come from the template's frame file, built first if needed. */
async function openStreamed(ctx: FramesContext, template: StreamedTemplate, load: LoadOptions): Promise<FrameSource> {
  const { log, worker, resolved, plan } = ctx;
  const file = await openFrameCache(pipelineCacheRequest(resolved, plan, ctx.encodings, template, load, log, worker === 0));
  if (worker === 0) for (const w of file.meta.warnings) log.warn({ template: w.source }, w.message);
  if (file.meta.implicitTimestamps) {
    plan.timestamps = true;
    plan.alignEnd = true;
    if (worker === 0) log.info({ template: file.meta.implicitTimestamps.source }, IMPLICIT_TIMESTAMPS);
  }
  // A frame file holds frames in template order with their patch tables: nothing is planned per cycle.
  const unplanned = [plan.delivery ? 'delivery' : '', plan.continuity && resolved.pipeline.signal === 'metrics' ? 'timestamp continuity' : ''].filter((x) => x !== '');
  if (worker === 0 && unplanned.length > 0) log.warn({ not_applied: unplanned }, 'a streamed template is replayed in template order, without delivery scheduling or metrics continuity');
  return new StreamedFrames(file, ctx.stamperOptions());
}

/** Metrics continuity holds a cycle until its interval has passed: say so when that caps the configured rate. */
function warnContinuityBound(ctx: FramesContext, frames: MemoryFrames): void {
  const c = frames.compiled.continuity;
  const interval = ctx.plan.continuity?.intervalMs;
  if (!c || interval === undefined || ctx.worker !== 0 || ctx.pacers.length === 0) return;
  const bound = continuityBound(c, interval);
  const rate = Math.min(...ctx.pacers.map((p) => p.rate));
  if (rate > bound) {
    ctx.log.warn({ points_per_second_max: Math.floor(bound), rate_target: rate, metrics_interval_ms: interval },
      'timestamp continuity: this template\'s points, one cycle per metrics_interval, cap each worker below its rate; add series (cardinality, workers) or shorten metrics_interval');
  }
}
