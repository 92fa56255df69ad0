/**
 * `validate` loads every pipeline's templates as the pipeline's first worker would (the
 * same receiver, load options and compile), so a template that would fail a run fails
 * validation: a metrics file given as `traces:`, a truncated file, bad ids or times.
 */
import { compile, compileOptions } from '../compile/compile.js';
import { resolvePipelines } from '../config/resolve.js';
import type { ReplaydConfig, ResolvedPipeline } from '../config/types.js';
import { type ConfigProblem, ReplaydError } from '../errors.js';
import { RECEIVERS } from '../receivers/index.js';
import { IMPLICIT_TIMESTAMPS, loadWarnings, relativeWithoutTimestamp } from '../receivers/load-warnings.js';
import { openFrameCache, pipelineCacheRequest } from '../worker/frame-cache.js';
import { pipelinePlan } from '../worker/pipeline-plan.js';
import type { CompilePlan } from '../compile/plan.js';
import { createLogger } from '../log.js';
import type { Encoding } from '../otlp/signals.js';
import type { StreamedTemplate } from '../receivers/template-chunks.js';
import type { LoadOptions } from '../receivers/template.js';

export interface LoadedPipeline {
  pipeline: string;
  frames: number;
  events: number;
  /** Compiled request bytes, over all of the pipeline's encodings. */
  bytes: number;
}

export interface TemplateCheck {
  problems: ConfigProblem[];
  /** What a run would warn about once per pipeline (repairs, copies, relative times without timestamp). */
  warnings: ConfigProblem[];
  pipelines: LoadedPipeline[];
}

/** Loads and compiles one pipeline at a time, so only one template is in memory at once. */
export async function checkTemplates(cfg: ReplaydConfig): Promise<TemplateCheck> {
  const out: TemplateCheck = { problems: [], warnings: [], pipelines: [] };
  // Pipelines sharing a receiver would repeat its problems.
  const note = (list: ConfigProblem[], p: ConfigProblem) => {
    if (!list.some((q) => q.path === p.path && q.message === p.message)) list.push(p);
  };
  for (const r of resolvePipelines(cfg)) {
    const receiver = r.receivers[0]!;
    const path = RECEIVERS.of(receiver).dataPath(receiver, r.pipeline.signal);
    try {
      const loaded = await load(r);
      for (const w of loaded.warnings) note(out.warnings, { path, message: `${w.source}: ${w.message}` });
      out.pipelines.push({ pipeline: r.pipeline.id, ...loaded.compiled });
    } catch (err) {
      if (!(err instanceof ReplaydError)) throw err;
      note(out.problems, { path, message: err.message });
    }
  }
  return out;
}

async function load(r: ResolvedPipeline) {
  const { plan } = pipelinePlan(r, 0);
  const load = { relativeTimes: plan.timestamps };
  const receiver = r.receivers[0]!;
  const encodings = [...new Set(r.exporters.map((e) => e.encoding))];
  const source = RECEIVERS.of(receiver).open(receiver, r.pipeline.signal, 0, load);
  if (source.streamed) return loadStreamed(r, plan, encodings, source.streamed, load);
  const data = await source.initial();
  const warnings = loadWarnings(data);
  // As the worker does: relative times without timestamp are placed at now.
  const relative = relativeWithoutTimestamp(data, load);
  if (relative) {
    plan.timestamps = true;
    warnings.push({ source: relative.source, message: IMPLICIT_TIMESTAMPS });
  }
  const c = compile(data, compileOptions(plan, encodings));
  let bytes = 0;
  for (const f of c.frames) for (const enc of encodings) bytes += f.byteLength[enc] ?? 0;
  return { warnings, compiled: { frames: c.frames.length, events: c.totalEvents, bytes } };
}

/** A streamed template is compiled into its frame file, as the first worker would: a run after validate reuses it. */
async function loadStreamed(r: ResolvedPipeline, plan: CompilePlan, encodings: Encoding[], template: StreamedTemplate, load: LoadOptions) {
  const file = await openFrameCache(pipelineCacheRequest(r, plan, encodings, template, load, createLogger({ level: 'silent' }), false));
  try {
    const warnings = [...file.meta.warnings];
    if (file.meta.implicitTimestamps) warnings.push({ source: file.meta.implicitTimestamps.source, message: IMPLICIT_TIMESTAMPS });
    let bytes = 0;
    for (let i = 0; i < file.frameCount; i++) for (const enc of encodings) bytes += file.byteLength(i, enc);
    return { warnings, compiled: { frames: file.frameCount, events: file.meta.totalEvents, bytes } };
  } finally {
    await file.close();
  }
}
