/**
 * A pipeline's numbers from its workers' last stats, added to what its earlier
 * incarnations (before reloads) counted: what the supervisor's snapshot reports.
 */
import type { ResolvedPipeline } from '../config/types.js';
import { addLatency, emptyLatency, type LatencySnapshot } from '../worker/latency-histogram.js';
import { addCounters, emptyCounters, mergeLastFailures, type ExporterCounters, type LastFailure, type WorkerStats } from '../worker/stats.js';

export interface PipelineNumbers {
  resolved: ResolvedPipeline;
  workers: { last: WorkerStats | undefined }[];
  /** Everything the previous incarnations of this pipeline id counted (they survive reloads). */
  retired: Record<string, ExporterCounters>;
  retiredCycles: number;
  retiredSendingMs: number;
  retiredLatency: Record<string, LatencySnapshot>;
  retiredFailures: Record<string, LastFailure>;
}

export function totals(h: PipelineNumbers): Record<string, ExporterCounters> {
  const out: Record<string, ExporterCounters> = {};
  for (const [id, c] of Object.entries(h.retired)) out[id] = { ...c, inFlight: 0 };
  for (const w of h.workers) {
    for (const [id, c] of Object.entries(w.last?.exporters ?? {})) addCounters((out[id] ??= emptyCounters()), c);
  }
  for (const e of h.resolved.exporters) out[e.id] ??= emptyCounters();
  return out;
}

export function latencyOf(h: PipelineNumbers): Record<string, LatencySnapshot> {
  const out: Record<string, LatencySnapshot> = {};
  for (const [id, l] of Object.entries(h.retiredLatency)) out[id] = structuredClone(l);
  for (const w of h.workers) {
    for (const [id, l] of Object.entries(w.last?.latency ?? {})) addLatency((out[id] ??= emptyLatency()), l);
  }
  for (const e of h.resolved.exporters) out[e.id] ??= emptyLatency();
  return out;
}

/** Per exporter, the latest failure over the workers and earlier incarnations. */
export function lastFailuresOf(h: PipelineNumbers): Record<string, LastFailure> {
  const out = mergeLastFailures({}, h.retiredFailures);
  for (const w of h.workers) mergeLastFailures(out, w.last?.lastFailures);
  return out;
}

export function cyclesOf(h: PipelineNumbers): number {
  return h.retiredCycles + h.workers.reduce((a, w) => a + (w.last?.cycles ?? 0), 0);
}

/**
 * The workers of one incarnation send side by side, so its sending time is the longest
 * worker window (not their sum); loading time and gaps between incarnations do not count.
 */
export function sendingMsOf(h: PipelineNumbers): number {
  return h.retiredSendingMs + h.workers.reduce((a, w) => Math.max(a, w.last?.sendingMs ?? 0), 0);
}

export function abandonInFlight(c: ExporterCounters): void {
  c.droppedFrames += c.inFlight;
  // Events per in-flight frame are unknown here; the worker reports exact drops when it
  // exits cleanly, so this only covers a worker that died or was terminated.
  c.inFlight = 0;
}
