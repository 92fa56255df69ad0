/** The `generator` receiver: realistic data made in the pipeline worker (src/generator/). */
import { isMapping, setOwn } from '../config/schema.js';
import { parseGeneratorConfig, type GeneratorConfig } from '../generator/config.js';
import { poolBytes } from '../generator/dataset.js';
import { GeneratorSource } from './generator.js';
import { LOOPS_KEY, loopsText, type ReceiverConfig, type ReceiverFactory } from './receiver.js';

export interface GeneratorReceiverConfig extends ReceiverConfig {
  generator: GeneratorConfig;
  /** Templates generated and kept in the worker. */
  pool: number;
  /** Regenerate part of the pool every `refresh` replay cycles (0 = never). */
  refresh: number;
}

export const generatorReceiver: ReceiverFactory<GeneratorReceiverConfig> = {
  type: 'generator',
  aliases: [],
  doc: 'Generates realistic traces, metrics and logs in the worker (plus the generator\'s own keys).',
  /** Keys the receiver owns; everything else in a `generator/…` block belongs to the generator. */
  keys: {
    pool: { doc: 'Templates generated up front and kept in each worker.', default: 1000 },
    refresh: { doc: 'Regenerate part of the pool every N replay cycles; 0 = never.', default: 0 },
    loops: LOOPS_KEY,
  },
  parse(raw, ctx) {
    const own: Record<string, unknown> = {};
    const rest: Record<string, unknown> = {};
    if (isMapping(raw)) {
      for (const [k, v] of Object.entries(raw)) setOwn(Object.hasOwn(this.keys, k) ? own : rest, k, v);
    }
    // Unknown keys are the generator's to report: it owns every key but these three.
    const s = ctx.section(own, this.keys);
    const generator = parseGeneratorConfig(isMapping(raw) ? rest : raw, ctx.path, ctx.problems);
    return {
      type: this.type,
      id: ctx.id,
      generator,
      pool: s.number('pool', { integer: true, positive: true })!,
      refresh: s.number('refresh', { integer: true, min: 0 })!,
      loops: s.number('loops', { integer: true, min: 0 })!,
    };
  },
  describe: (c) => `generator, pool ${c.pool}, refresh ${c.refresh === 0 ? 'never' : `every ${c.refresh} loops`}, ${loopsText(c.loops)}`,
  dataPath: (c) => `receivers.${c.id}`,
  sameDataInEveryWorker: false,
  templateBytes: (c, signal) => poolBytes(c.generator, signal, c.pool),
  signalProblem: () => undefined,
  open(c, signal, worker, load) {
    const gen = new GeneratorSource(c, signal, worker, load);
    return { loops: c.loops, initial: async () => gen.initial(), refresh: (cycle) => gen.refresh(cycle) };
  },
};
