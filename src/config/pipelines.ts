/** `service.pipelines:` — each wires one receiver through processors to exporters. */
import type { ConfigProblem } from '../errors.js';
import { isSignal } from '../otlp/signals.js';
import { EXPORTERS } from '../exporters/index.js';
import { PROCESSORS } from '../processors/index.js';
import type { ProcessorFactory, ProcessorTrait } from '../processors/processor.js';
import { RECEIVERS } from '../receivers/index.js';
import type { ComponentConfig, ComponentFactory, Registry } from './component.js';
import type { PipelineConfig, ReplaydConfig } from './types.js';
import { Section, asMapping, didYouMean, joinPath, parseComponentId, show, type KeyTable } from './schema.js';

export const PIPELINE_KEYS: KeyTable = {
  receivers: { doc: 'Exactly one receiver id (required).' },
  processors: { doc: 'Processor ids; listed order is kept.' },
  exporters: { doc: 'One or more exporter ids (required); every request goes to each of them.' },
  workers: { doc: 'Worker threads running copies of this pipeline; the rate is shared equally, and each holds its own compiled template (memory × workers).', default: 1 },
};

export function parsePipelines(raw: unknown, path: string, problems: ConfigProblem[]): Record<string, PipelineConfig> {
  const out: Record<string, PipelineConfig> = {};
  const all = asMapping(raw, path, problems);
  if (!all) return out;
  if (Object.keys(all).length === 0) problems.push({ path, message: 'needs at least one pipeline' });
  for (const [id, body] of Object.entries(all)) {
    const at = joinPath(path, id);
    const parsed = parseComponentId(id);
    if (!parsed || !isSignal(parsed.type)) {
      const hint = parsed ? didYouMean(parsed.type, ['traces', 'metrics', 'logs']) : '';
      problems.push({ path: at, message: `pipeline id must be traces, metrics or logs, optionally with /name${hint}` });
      continue;
    }
    const s = new Section(body, at, PIPELINE_KEYS, problems);
    out[id] = {
      id,
      signal: parsed.type,
      receivers: idList(s, 'receivers'),
      processors: idList(s, 'processors'),
      exporters: idList(s, 'exporters'),
      workers: s.number('workers', { integer: true, positive: true, max: 1024 })!,
    };
  }
  return out;
}

function idList(s: Section, key: string): string[] {
  const v = s.value(key);
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    s.problem(key, `must be a list of component ids, got ${show(v)}`);
    return [];
  }
  const ids: string[] = [];
  v.forEach((item, i) => {
    if (typeof item === 'string') ids.push(item);
    else s.problems.push({ path: `${s.keyPath(key)}[${i}]`, message: `must be a component id, got ${show(item)}` });
  });
  return ids;
}

/** Checks what only the whole file can tell: references, counts, order and signal fit. */
export function checkPipelines(cfg: ReplaydConfig, problems: ConfigProblem[]): void {
  for (const p of Object.values(cfg.service.pipelines)) {
    const at = `service.pipelines.${p.id}`;
    refs(p, 'receivers', cfg.receivers, RECEIVERS, problems);
    const processors = refs(p, 'processors', cfg.processors, PROCESSORS, problems);
    refs(p, 'exporters', cfg.exporters, EXPORTERS, problems);
    if (p.receivers.length !== 1) {
      problems.push({ path: `${at}.receivers`, message: `needs exactly one receiver, got ${p.receivers.length} (use one pipeline per receiver)` });
    }
    if (p.exporters.length === 0) problems.push({ path: `${at}.exporters`, message: 'needs at least one exporter' });
    checkRepeats(at, processors, problems);
    checkOrder(at, processors, problems);
  }
}

type Kind = 'receivers' | 'processors' | 'exporters';
interface Listed<F> { i: number; cfg: ComponentConfig; factory: F }

/**
 * Resolves one list of a pipeline against the configured components: reports ids listed
 * twice or not configured, and components that cannot serve the pipeline's signal.
 */
function refs<F extends ComponentFactory<ComponentConfig>>(
  p: PipelineConfig, key: Kind, known: Record<string, ComponentConfig>, registry: Registry<F>, problems: ConfigProblem[],
): Listed<F>[] {
  const seen = new Set<string>();
  const out: Listed<F>[] = [];
  p[key].forEach((id, i) => {
    const where = `service.pipelines.${p.id}.${key}[${i}]`;
    const kind = registry.kind;
    if (seen.has(id)) problems.push({ path: where, message: `${kind} "${id}" is listed twice` });
    else if (!Object.hasOwn(known, id)) problems.push({ path: where, message: `${kind} "${id}" is not configured${didYouMean(id, Object.keys(known))}` });
    else {
      const cfg = known[id]!;
      const factory = registry.of(cfg);
      const bad = factory.signalProblem(cfg, p.signal);
      if (bad) problems.push({ path: where, message: `${kind} "${id}" ${bad}` });
      out.push({ i, cfg, factory });
    }
    seen.add(id);
  });
  return out;
}

/** Two processors of a type that is not repeatable would fight over the same setting. */
function checkRepeats(at: string, listed: Listed<ProcessorFactory>[], problems: ConfigProblem[]): void {
  const byType = new Map<string, string>();
  for (const { i, cfg, factory } of listed) {
    const other = byType.get(cfg.type);
    if (other !== undefined && !factory.repeatable) {
      problems.push({ path: `${at}.processors[${i}]`, message: `"${cfg.id}" and "${other}" are both ${cfg.type} processors; use one` });
    }
    byType.set(cfg.type, cfg.id);
  }
}

/** Each processor's order rules, read against the processors listed before it. */
function checkOrder(at: string, listed: Listed<ProcessorFactory>[], problems: ConfigProblem[]): void {
  listed.forEach(({ i, cfg, factory }, k) => {
    const earlier = listed.slice(0, k);
    for (const rule of factory.order) {
      const hit = earlier.find((e) => e.factory.traits.includes(rule.trait));
      if (rule.rule === 'after' && !hit) {
        const which = PROCESSORS.factories.filter((f) => f.traits.includes(rule.trait)).map((f) => f.type).join(' or ');
        problems.push({ path: `${at}.processors[${i}]`, message: `"${cfg.id}" needs a processor that ${TRAIT_TEXT[rule.trait]} (${which}) before it: ${rule.why}` });
      } else if (rule.rule === 'not_after' && hit) {
        problems.push({ path: `${at}.processors[${i}]`, message: `"${cfg.id}" must come before "${hit.cfg.id}": ${rule.why}` });
      }
    }
  });
}

const TRAIT_TEXT: Record<ProcessorTrait, string> = {
  sets_times: 'sets times',
  shifts_times: 'shifts times',
  new_ids: 'makes new ids',
  rewrites: 'rewrites templates',
  varies_attributes: 'varies attributes',
  splits: 'splits requests',
  paces: 'paces requests',
};
