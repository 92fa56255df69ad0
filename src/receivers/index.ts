import type { ReceiverConfig } from '../config/types.js';
import { TemplateError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { GeneratorSource } from './generator.js';
import type { TemplateData } from './template-data.js';
import { loadTemplate, type LoadOptions } from './template.js';

/** What a pipeline worker replays: its data, and possibly fresh data between cycles. */
export interface ReceiverSource {
  readonly id: string;
  /** Replay cycles; 0 = forever. */
  readonly loops: number;
  initial(): Promise<TemplateData[]>;
  /** New data to compile after `cycle` completed, or undefined to keep replaying the same. */
  refresh(cycle: number): TemplateData[] | undefined;
}

/** `load.relativeTimes` is whether the pipeline has the timestamp processor (without it, recorded times are kept). */
export function openReceiver(cfg: ReceiverConfig, signal: Signal, worker: number, load: LoadOptions): ReceiverSource {
  if (cfg.type === 'generator') {
    const gen = new GeneratorSource(cfg, signal, worker, load);
    return {
      id: cfg.id,
      loops: cfg.loops,
      initial: async () => gen.initial(),
      refresh: (cycle) => gen.refresh(cycle),
    };
  }
  const file = cfg[signal];
  return {
    id: cfg.id,
    loops: cfg.loops,
    async initial() {
      if (!file) throw new TemplateError(`receiver "${cfg.id}" has no ${signal} file`, { code: 'ERR_TEMPLATE_NOT_FOUND' });
      return [await loadTemplate(file, signal, load)];
    },
    refresh: () => undefined,
  };
}

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
