/** `receivers:` — template files and the synthetic data generator. */
import { resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { parseGeneratorConfig } from '../generator/config.js';
import { SIGNAL_NAMES } from '../otlp/signals.js';
import type { GeneratorReceiverConfig, ReceiverConfig, TemplateReceiverConfig } from './types.js';
import { Section, isFile, isMapping, setOwn, type KeyTable } from './schema.js';

export const RECEIVER_TYPES = ['template', 'generator'] as const;

const LOOPS = { doc: 'Replay cycles through the templates; 0 = forever.', default: 0 } as const;

export const TEMPLATE_RECEIVER_KEYS: KeyTable = {
  traces: { doc: 'Trace template file (.pb or OTLP/JSON, optionally gzipped), relative to the config file.' },
  metrics: { doc: 'Metrics template file, relative to the config file.' },
  logs: { doc: 'Logs template file, relative to the config file.' },
  loops: LOOPS,
};

/** Keys the receiver owns; everything else in a `generator/…` block belongs to the generator. */
export const GENERATOR_RECEIVER_KEYS: KeyTable = {
  pool: { doc: 'Templates generated up front and kept in each worker.', default: 1000 },
  refresh: { doc: 'Regenerate part of the pool every N replay cycles; 0 = never.', default: 0 },
  loops: LOOPS,
};

export function isReceiverType(t: string): t is ReceiverConfig['type'] {
  return (RECEIVER_TYPES as readonly string[]).includes(t);
}

export function parseReceiver(
  id: string,
  type: ReceiverConfig['type'],
  raw: unknown,
  baseDir: string,
  path: string,
  problems: ConfigProblem[],
): ReceiverConfig {
  return type === 'template' ? parseTemplate(id, raw, baseDir, path, problems) : parseGenerator(id, raw, path, problems);
}

function parseTemplate(id: string, raw: unknown, baseDir: string, path: string, problems: ConfigProblem[]): TemplateReceiverConfig {
  const s = new Section(raw, path, TEMPLATE_RECEIVER_KEYS, problems);
  const cfg: TemplateReceiverConfig = { type: 'template', id, loops: s.number('loops', { integer: true, min: 0 })! };
  for (const signal of SIGNAL_NAMES) {
    const rel = s.string(signal);
    if (rel === undefined) continue;
    if (rel === '') {
      s.problem(signal, 'must be a file path, got ""');
      continue;
    }
    const file = resolve(baseDir, rel);
    if (!isFile(file)) s.problem(signal, `template file ${file} does not exist`);
    cfg[signal] = file;
  }
  if (SIGNAL_NAMES.every((sig) => !s.has(sig)) && (raw == null || isMapping(raw))) {
    problems.push({ path, message: 'needs at least one of traces, metrics, logs' });
  }
  return cfg;
}

function parseGenerator(id: string, raw: unknown, path: string, problems: ConfigProblem[]): GeneratorReceiverConfig {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  if (isMapping(raw)) {
    for (const [k, v] of Object.entries(raw)) setOwn(Object.hasOwn(GENERATOR_RECEIVER_KEYS, k) ? own : rest, k, v);
  }
  // Unknown keys are the generator's to report: it owns every key but these three.
  const s = new Section(own, path, GENERATOR_RECEIVER_KEYS, problems);
  const generator = parseGeneratorConfig(isMapping(raw) ? rest : raw, path, problems);
  return {
    type: 'generator',
    id,
    generator,
    pool: s.number('pool', { integer: true, positive: true })!,
    refresh: s.number('refresh', { integer: true, min: 0 })!,
    loops: s.number('loops', { integer: true, min: 0 })!,
  };
}
