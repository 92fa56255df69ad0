/** One self-contained description per pipeline: what a worker gets and what a reload compares. */
import { ConfigError } from '../errors.js';
import { exporterFor } from '../exporters/exporter-config.js';
import type { ReplaydConfig, ResolvedPipeline } from './types.js';

/**
 * Pipelines in file order, each with its components inlined in the pipeline's order.
 * The result holds only plain data (structured-clone safe) and is built in a fixed key
 * order, so `JSON.stringify` of two resolutions is equal exactly when nothing changed.
 */
export function resolvePipelines(cfg: ReplaydConfig): ResolvedPipeline[] {
  return Object.values(cfg.service.pipelines).map((pipeline) => {
    const pick = <T>(ids: string[], all: Record<string, T>, kind: string): T[] =>
      ids.map((id, i) => {
        if (!Object.hasOwn(all, id)) {
          throw new ConfigError([{ path: `service.pipelines.${pipeline.id}.${kind}s[${i}]`, message: `${kind} "${id}" is not configured` }], cfg.file);
        }
        return all[id]!;
      });
    const { index, count } = cfg.service.replicas;
    return structuredClone({
      pipeline,
      replica: { index, count },
      receivers: pick(pipeline.receivers, cfg.receivers, 'receiver'),
      processors: pick(pipeline.processors, cfg.processors, 'processor'),
      // Each exporter as it is for this signal (OTEL_EXPORTER_OTLP_<SIGNAL>_* variables may differ).
      exporters: pick(pipeline.exporters, cfg.exporters, 'exporter').map((e) => exporterFor(e, pipeline.signal)),
    });
  });
}
