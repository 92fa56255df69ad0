/**
 * What is checked before any pipeline starts, the same way by `validate` and by the
 * daemon (at start and on reload), so a config that validates also starts: every
 * exporter's TLS files parse, and the machine can hold the pipelines (capacity.ts).
 * Templates are loaded by the workers; `validate` loads them too (template-check.ts).
 */
import type { ReplaydConfig } from '../config/types.js';
import type { ConfigProblem } from '../errors.js';
import { exporterVariants } from '../exporters/exporter-config.js';
import { tlsProblems } from '../exporters/tls.js';
import { type Capacity, type CapacityOptions, capacityOf, capacityProblems } from './capacity.js';

export function preflight(cfg: ReplaydConfig, opts?: CapacityOptions): { problems: ConfigProblem[]; capacity: Capacity } {
  // Every configured file, also of an exporter that would not use it (plaintext): a broken file is a mistake either way.
  // Per-signal variants (OTEL_EXPORTER_OTLP_<SIGNAL>_* files) too; one problem is reported once.
  const all = Object.values(cfg.exporters).flatMap((e) => exporterVariants(e).flatMap((v) => tlsProblems(v.tls, v.id)));
  const problems = [...new Map(all.map((p) => [`${p.path}\0${p.message}`, p])).values()];
  const capacity = capacityOf(cfg, opts);
  problems.push(...capacityProblems(capacity));
  return { problems, capacity };
}
