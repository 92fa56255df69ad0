import type { ReceiverConfig } from '../config/types.js';
import { TemplateError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { GeneratorSource } from './generator.js';
import type { TemplateData } from './template-data.js';
import { loadTemplate } from './template.js';

/** What a pipeline worker replays: its data, and possibly fresh data between cycles. */
export interface ReceiverSource {
  readonly id: string;
  /** Replay cycles; 0 = forever. */
  readonly loops: number;
  initial(): Promise<TemplateData[]>;
  /** New data to compile after `cycle` completed, or undefined to keep replaying the same. */
  refresh(cycle: number): TemplateData[] | undefined;
}

export function openReceiver(cfg: ReceiverConfig, signal: Signal, worker: number): ReceiverSource {
  if (cfg.type === 'generator') {
    const gen = new GeneratorSource(cfg, signal, worker);
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
      return [await loadTemplate(file, signal)];
    },
    refresh: () => undefined,
  };
}
