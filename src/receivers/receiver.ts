/** The receiver contract: a factory that parses its block and opens a source in a pipeline worker. */
import type { ComponentConfig, ComponentFactory } from '../config/component.js';
import type { Signal } from '../otlp/signals.js';
import type { TemplateData } from './template-data.js';
import type { LoadOptions } from './template.js';
import type { StreamedTemplate } from './template-chunks.js';

/** What a pipeline worker replays: its data, and possibly fresh data between cycles. */
export interface ReceiverSource {
  /** Replay cycles; 0 = forever. */
  readonly loops: number;
  initial(): Promise<TemplateData[]>;
  /** New data to compile after `cycle` completed, or undefined to keep replaying the same. */
  refresh(cycle: number): TemplateData[] | undefined;
  /** Set when the template is too large for memory: the worker compiles it chunk by chunk into a frame file and replays from disk (`initial` is not called). */
  streamed?: StreamedTemplate;
}

export interface ReceiverConfig extends ComponentConfig {
  /** Replay cycles; 0 = forever. */
  loops: number;
}

export interface ReceiverFactory<C extends ReceiverConfig = ReceiverConfig> extends ComponentFactory<C> {
  /** The key path where its data for `signal` is configured, for problems found when loading it. */
  dataPath(cfg: C, signal: Signal): string;
  /** About how many bytes its `signal` templates take once loaded, without loading them (capacity checks). */
  templateBytes(cfg: C, signal: Signal, fileBytes: (file: string) => number): number;
  /**
   * Every worker of every pipeline opens the same data for a signal (template files), so a
   * logs pipeline can name the spans any traces worker sent (src/stamp/sent-traces.ts).
   * The generator makes each worker's data from its own seed: no such correlation.
   */
  sameDataInEveryWorker: boolean;
  /** `load.relativeTimes`: whether the pipeline has the timestamp processor (without it, recorded times are kept). */
  open(cfg: C, signal: Signal, worker: number, load: LoadOptions): ReceiverSource;
}

export const LOOPS_KEY = { doc: 'Replay cycles through the templates; 0 = forever.', default: 0 } as const;

export function loopsText(n: number): string {
  return n === 0 ? 'loops forever' : `loops ${n}`;
}
