/** What a pipeline warns about when it loads its templates. */
import type { TemplateData } from './template-data.js';
import type { LoadOptions } from './template.js';

export interface LoadWarning {
  source: string;
  message: string;
}

/**
 * What a pipeline warns about once when it loads `data`: what loading repaired or
 * noticed, and relative times that a pipeline without the timestamp processor would
 * send as they are (near 1970-01-01).
 */
export function loadWarnings(data: TemplateData[], load: LoadOptions): LoadWarning[] {
  const out: LoadWarning[] = [];
  for (const d of data) for (const message of d.warnings ?? []) out.push({ source: d.source, message });
  const relative = load.relativeTimes ? undefined : data.find((d) => !d.absoluteTimes);
  if (relative) {
    out.push({
      source: relative.source,
      message: 'holds relative times (offsets, not recorded times) and the pipeline has no timestamp processor: ' +
        'they are sent as they are, near 1970-01-01; add timestamp to the pipeline\'s processors to send times near now',
    });
  }
  return out;
}
