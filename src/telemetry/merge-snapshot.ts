import { addCounters, emptyCounters, type ExporterCounters } from '../pipeline/stats.js';
import type { PipelineSnapshot, PipelineState } from './source.js';

const TERMINAL: ReadonlySet<PipelineState> = new Set(['stopped', 'failed']);

export function isTerminal(state: PipelineState): boolean {
  return TERMINAL.has(state);
}

/**
 * One entry per pipeline id. A pipeline removed by a reload and later added again shows
 * up twice (the frozen old run and the new one); reading them as one series would make
 * the counters jump back and forth, so their numbers are added up instead: counts and
 * run time are summed, and state and rate target come from the live run.
 */
export function mergeById(snapshot: PipelineSnapshot[]): PipelineSnapshot[] {
  const byId = new Map<string, PipelineSnapshot[]>();
  for (const s of snapshot) {
    const list = byId.get(s.pipeline);
    if (list) list.push(s);
    else byId.set(s.pipeline, [s]);
  }
  return [...byId.values()].map((runs) => (runs.length === 1 ? runs[0]! : merge(runs)));
}

function merge(runs: PipelineSnapshot[]): PipelineSnapshot {
  let live = runs[runs.length - 1]!;
  for (const r of runs) if (!isTerminal(r.state)) live = r;
  const exporters: Record<string, ExporterCounters> = {};
  for (const r of runs) {
    for (const [id, c] of Object.entries(r.exporters)) addCounters((exporters[id] ??= emptyCounters()), c);
  }
  return {
    ...live,
    cycles: runs.reduce((n, r) => n + r.cycles, 0),
    uptimeMs: runs.reduce((n, r) => n + r.uptimeMs, 0),
    exporters,
  };
}
