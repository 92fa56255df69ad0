/** What a pipeline warns about when it loads its templates. */
import type { TemplateData } from './template-data.js';
import type { LoadOptions } from './template.js';

export interface LoadWarning {
  source: string;
  message: string;
}

/** What loading repaired or noticed in `data`, for the pipeline to warn about once. */
export function loadWarnings(data: TemplateData[]): LoadWarning[] {
  const out: LoadWarning[] = [];
  for (const d of data) for (const message of d.warnings ?? []) out.push({ source: d.source, message });
  return out;
}

/**
 * A template of relative times (offsets, not recorded times) loaded for a pipeline without
 * the timestamp processor: sent as they are, they would land near 1970-01-01, which no
 * backend wants. The pipeline then places them at now, as timestamp would (backdate 0).
 */
export const IMPLICIT_TIMESTAMPS =
  'holds relative times (offsets, not recorded times) and the pipeline has no timestamp processor: ' +
  'they are placed at now, as timestamp with backdate 0s would (add timestamp to the pipeline to choose a backdate)';

export function relativeWithoutTimestamp(data: TemplateData[], load: LoadOptions): TemplateData | undefined {
  return load.relativeTimes ? undefined : data.find((d) => !d.absoluteTimes);
}
