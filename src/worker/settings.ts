import type { ProcessorConfig, ResolvedPipeline } from '../config/types.js';

/** What a pipeline's processor list means for compile, stamp and pacing. */
export interface PipelineSettings {
  idRegen: boolean;
  timestamps: boolean;
  backdateMs: number;
  jitterMaxMs: number;
  maxItems?: number;
  maxBytes?: number;
  /** The whole pipeline's rate; each of `workers` gets an equal share. */
  rate?: { eventsPerSecond: number; burst?: number };
}

export function pipelineSettings(processors: ProcessorConfig[]): PipelineSettings {
  const s: PipelineSettings = { idRegen: false, timestamps: false, backdateMs: 0, jitterMaxMs: 0 };
  for (const p of processors) {
    switch (p.type) {
      case 'id_regen':
        s.idRegen = true;
        break;
      case 'timestamp':
        s.timestamps = true;
        s.backdateMs = p.backdateMs;
        break;
      case 'jitter':
        s.jitterMaxMs = p.maxMs;
        break;
      case 'batch_splitter':
        s.maxItems = p.maxItems;
        s.maxBytes = p.maxBytes;
        break;
      case 'ratelimit':
        s.rate = { eventsPerSecond: p.eventsPerSecond, burst: p.burst };
        break;
    }
  }
  return s;
}

/** This worker's share of a pipeline-wide rate (burst shares too; the bucket raises it to the largest request). */
export function workerRate(resolved: ResolvedPipeline, settings: PipelineSettings): { eventsPerSecond: number; burst?: number } | undefined {
  if (!settings.rate) return undefined;
  const n = resolved.pipeline.workers;
  return {
    eventsPerSecond: settings.rate.eventsPerSecond / n,
    burst: settings.rate.burst === undefined ? undefined : settings.rate.burst / n,
  };
}
