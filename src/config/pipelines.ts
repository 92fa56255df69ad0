/** `service.pipelines:` — each wires one receiver through processors to exporters. */
import type { ConfigProblem } from '../errors.js';
import { isSignal } from '../otlp/signals.js';
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

/** Checks what only the whole file can tell: references, counts and signal fit. */
export function checkPipelines(cfg: ReplaydConfig, problems: ConfigProblem[]): void {
  for (const p of Object.values(cfg.service.pipelines)) {
    const at = `service.pipelines.${p.id}`;
    const refs = (key: 'receivers' | 'processors' | 'exporters', kind: string, known: Record<string, unknown>): void => {
      const seen = new Set<string>();
      p[key].forEach((id, i) => {
        const where = `${at}.${key}[${i}]`;
        if (seen.has(id)) problems.push({ path: where, message: `${kind} "${id}" is listed twice` });
        else if (!Object.hasOwn(known, id)) {
          problems.push({ path: where, message: `${kind} "${id}" is not configured${didYouMean(id, Object.keys(known))}` });
        }
        seen.add(id);
      });
    };
    refs('receivers', 'receiver', cfg.receivers);
    refs('processors', 'processor', cfg.processors);
    refs('exporters', 'exporter', cfg.exporters);

    if (p.receivers.length !== 1) {
      problems.push({ path: `${at}.receivers`, message: `needs exactly one receiver, got ${p.receivers.length} (use one pipeline per receiver)` });
    }
    if (p.exporters.length === 0) problems.push({ path: `${at}.exporters`, message: 'needs at least one exporter' });

    const byType = new Map<string, string>();
    p.processors.forEach((id, i) => {
      const proc = cfg.processors[id];
      if (!proc || !Object.hasOwn(cfg.processors, id)) return;
      const other = byType.get(proc.type);
      if (other !== undefined && other !== id) {
        problems.push({ path: `${at}.processors[${i}]`, message: `"${id}" and "${other}" are both ${proc.type} processors; use one` });
      }
      byType.set(proc.type, id);
    });

    p.receivers.forEach((id, i) => {
      const r = Object.hasOwn(cfg.receivers, id) ? cfg.receivers[id] : undefined;
      if (r?.type === 'template' && r[p.signal] === undefined) {
        problems.push({ path: `${at}.receivers[${i}]`, message: `receiver "${id}" has no ${p.signal} file (set receivers.${id}.${p.signal})` });
      }
    });
    p.exporters.forEach((id, i) => {
      const e = Object.hasOwn(cfg.exporters, id) ? cfg.exporters[id] : undefined;
      if (e?.type === 'otlp_http' && e.endpoint === '' && e.signalEndpoints[p.signal] === undefined) {
        problems.push({ path: `${at}.exporters[${i}]`, message: `exporter "${id}" has no endpoint for ${p.signal} (set endpoint or ${p.signal}_endpoint)` });
      }
    });
  }
}
