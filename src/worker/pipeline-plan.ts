/**
 * A pipeline's processors, created from the registry in the order configured, and the
 * CompilePlan their compile hooks asked for. The worker runs them; `validate` and the
 * capacity check build the same plan to compile or size what a worker would.
 */
import { emptyPlan, type CompilePlan } from '../compile/plan.js';
import type { ResolvedPipeline } from '../config/types.js';
import { PROCESSORS } from '../processors/index.js';
import type { ProcessorHooks } from '../processors/processor.js';
import { processorContext } from '../processors/rate-share.js';

export interface PipelinePlan {
  processors: ProcessorHooks[];
  plan: CompilePlan;
}

export function pipelinePlan(resolved: ResolvedPipeline, worker: number): PipelinePlan {
  const signal = resolved.pipeline.signal;
  const ctx = processorContext(signal, { replica: resolved.replica.index, replicas: resolved.replica.count, worker, workers: resolved.pipeline.workers });
  const processors = resolved.processors.map((cfg) => PROCESSORS.of(cfg).create(cfg, ctx));
  const plan = emptyPlan(signal);
  for (const p of processors) p.compile?.(plan);
  return { processors, plan };
}
