/**
 * `otel-replayd report merge`: the run reports of the replicas of one scaled-out run
 * (`--report run.json` of each) summed into one report of the same shape, so the run
 * view draws it as it draws one daemon's, plus a row per replica.
 */
import { readFileSync } from 'node:fs';
import { ReportError } from '../errors.js';
import { grid, mergePipelinePoints, mergeSinkPoints, sumNow, type Shifted } from './merge-series.js';
import { round } from './pipeline-series.js';
import type { PipelineRun, SinkRun } from './run-data.js';
import type { RunReport } from './run-report.js';

/** One replica's part, as the merged report lists it. */
export interface ReplicaRow {
  file: string;
  /** `index/count`, or null for a daemon that ran alone. */
  replica: string | null;
  started_at: string;
  ended_at: string;
  exit_code: number;
  stop_reason: string;
  /** Its summary line per pipeline (sent, rate, failed… as logged). */
  summary: Record<string, unknown>[];
}

export interface MergedReport extends RunReport {
  replicas: ReplicaRow[];
  /** Replica indexes of the run (`service.replicas.count`) that no file covered. */
  missing_replicas: number[];
}

/** Reads `file` as a run report: the JSON that `--report FILE.json` wrote. */
export function readRunReport(file: string): RunReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReportError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(err as Error).message}`);
  }
  const r = data as Partial<RunReport>;
  if (typeof r !== 'object' || r === null || typeof r.run_id !== 'string' || !Array.isArray(r.pipelines) || typeof r.started_at !== 'string' || !Array.isArray(r.summary)) {
    throw new ReportError(file, 'not a run report (the JSON that `otel-replayd run --report FILE.json` writes at exit)');
  }
  if ((r as Partial<MergedReport>).replicas !== undefined) throw new ReportError(file, 'is a merged report already; merge the replicas\' own reports');
  return r as RunReport;
}

/** `index/count` → numbers; null for a daemon that ran alone. */
function replicaOf(file: string, r: RunReport): { index: number; count: number } | null {
  if (r.replica === null) return null;
  const m = /^(\d+)\/(\d+)$/.exec(r.replica);
  if (!m) throw new ReportError(file, `replica "${r.replica}" is not index/count`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

type Replica = ReturnType<typeof replicaOf>;

/** Checks the files are replicas (`replicas`, as read) of one run, each once; returns the indexes none of them covers. */
function checkReplicas(files: string[], reports: RunReport[], replicas: Replica[]): number[] {
  const first = reports[0]!;
  const seen = new Map<number, string>();
  let count: number | undefined;
  reports.forEach((r, i) => {
    const file = files[i]!;
    if (r.run_id !== first.run_id) throw new ReportError(file, `run_id "${r.run_id}" differs from "${first.run_id}" in ${files[0]}: these are not replicas of one run (set service.replicas.run_id or $OTEL_REPLAYD_RUN_ID the same for all)`);
    const rep = replicas[i]!;
    if (!rep) {
      if (reports.length > 1) throw new ReportError(file, 'ran alone (no service.replicas): only the replicas of one scaled-out run can be merged');
      return;
    }
    if (count !== undefined && rep.count !== count) throw new ReportError(file, `replica ${r.replica} is one of ${rep.count}, but ${files[0]} is one of ${count}`);
    count = rep.count;
    const other = seen.get(rep.index);
    if (other !== undefined) throw new ReportError(file, `replica ${r.replica} is also in ${other}`);
    seen.set(rep.index, file);
  });
  const missing: number[] = [];
  for (let i = 0; i < (count ?? 0); i++) if (!seen.has(i)) missing.push(i);
  return missing;
}

/** Where each report's clock starts on the merged run's clock, in seconds. */
function offsets(reports: RunReport[]): { start: number; offsets: number[] } {
  const starts = reports.map((r) => Date.parse(r.started_at));
  const start = Math.min(...starts);
  return { start, offsets: starts.map((s) => (s - start) / 1000) };
}

function shiftPoints<P extends { t: number }>(points: P[], by: number): P[] {
  return points.map((p) => ({ ...p, t: round(p.t + by, 3) }));
}

/**
 * Summary lines added field by field: counts and rates sum (each replica's rate is over its
 * own sending time, so the sum is the run's rate while they send together), durations and
 * latencies take the longest (a percentile of separate histograms cannot be added, so the
 * merged one is an upper bound), equal strings stay, and the replica fields go.
 */
export function mergeSummaryLines(lines: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = [...new Set(lines.flatMap((l) => Object.keys(l)))].filter((k) => k !== 'replica' && k !== 'run_id');
  for (const k of keys) {
    const values = lines.map((l) => l[k]).filter((v) => v !== undefined && v !== null);
    if (values.length === 0) out[k] = null;
    else if (k === 'replicas') out[k] = lines.length;
    else if (values.every((v) => typeof v === 'number')) {
      const nums = values as number[];
      const longest = k === 'duration_s' || k.endsWith('_ms');
      out[k] = longest ? Math.max(...nums) : round(nums.reduce((a, b) => a + b, 0), 3);
    } else if (values.every((v) => typeof v === 'object' && !Array.isArray(v))) {
      // Per-exporter breakdowns and failures: the same fields, one level down.
      const ids = [...new Set(values.flatMap((v) => Object.keys(v as object)))];
      out[k] = Object.fromEntries(ids.map((id) => [id, mergeSummaryLines(values.map((v) => (v as Record<string, Record<string, unknown>>)[id] ?? {}))]));
    } else out[k] = values.every((v) => v === values[0]) ? values[0] : values.map(String).join(', ');
  }
  return out;
}

function mergePipelines(reports: RunReport[], shifts: number[], times: number[], end: number): PipelineRun[] {
  const ids = [...new Set(reports.flatMap((r) => r.pipelines.map((p) => p.pipeline)))];
  return ids.map((id) => {
    const parts = reports.flatMap((r, i) => {
      const p = r.pipelines.find((x) => x.pipeline === id);
      return p ? [{ p, shift: shifts[i]!, interval: r.interval_s }] : [];
    });
    const first = parts[0]!.p;
    const states = new Set(parts.map((x) => x.p.state));
    const series: Shifted<PipelineRun['points'][number]>[] = parts.map((x) => ({ points: shiftPoints(x.p.points, x.shift), interval: x.interval }));
    return {
      pipeline: id,
      signal: first.signal,
      unit: first.unit,
      workers: parts.reduce((a, x) => a + x.p.workers, 0),
      state: states.size === 1 ? first.state : parts.some((x) => x.p.state === 'failed') ? 'failed' : 'stopped',
      now: sumNow(parts.map((x) => x.p.now), end, times.length),
      rejected: parts.reduce((a, x) => a + x.p.rejected, 0),
      dropped: parts.reduce((a, x) => a + x.p.dropped, 0),
      // A capacity search is one replica's own; its evidence stays in that replica's report.
      capacity: null,
      points: mergePipelinePoints(series, times),
    };
  });
}

function mergeSinks(reports: RunReport[], shifts: number[], times: number[]): SinkRun | null {
  const parts = reports.flatMap((r, i) => (r.sink ? [{ s: r.sink, shift: shifts[i]!, interval: r.interval_s }] : []));
  if (parts.length === 0) return null;
  const counts = structuredClone(parts[0]!.s.counts);
  for (const { s } of parts.slice(1)) {
    for (const [sig, c] of Object.entries(s.counts) as [keyof SinkRun['counts'], SinkRun['counts'][keyof SinkRun['counts']]][]) {
      for (const f of Object.keys(c) as (keyof typeof c)[]) counts[sig][f] += c[f];
    }
  }
  const points = mergeSinkPoints(parts.map((x) => ({ points: shiftPoints(x.s.points, x.shift), interval: x.interval })), times);
  return { counts, now: points.at(-1)!, points };
}

/** Sums the reports of one run's replicas; `files` name them in errors and in the replica rows. */
export function mergeReports(givenFiles: string[], givenReports: RunReport[]): MergedReport {
  if (givenReports.length === 0) throw new ReportError('report merge', 'no report to merge');
  const given = givenReports.map((r, i) => replicaOf(givenFiles[i]!, r));
  // Replica rows in index order, whatever order the shell globbed the files in.
  const order = givenReports.map((_, i) => i).sort((a, b) => (given[a]?.index ?? 0) - (given[b]?.index ?? 0));
  const files = order.map((i) => givenFiles[i]!);
  const reports = order.map((i) => givenReports[i]!);
  const missing = checkReplicas(files, reports, order.map((i) => given[i]!));
  const { start, offsets: shifts } = offsets(reports);
  const end = Math.max(...reports.map((r, i) => shifts[i]! + r.elapsed_s));
  const step = Math.max(1, ...reports.map((r) => r.interval_s));
  const times = grid(0, end, step);
  const pipelines = mergePipelines(reports, shifts, times, round(end, 3));
  const summaryIds = [...new Set(reports.flatMap((r) => r.summary.map((s) => String(s.pipeline))))];
  const endedAt = Math.max(...reports.map((r) => Date.parse(r.ended_at)));
  const sinkSummaries = reports.map((r) => r.sink_summary).filter((s) => s !== null && s !== undefined);
  const reasons = [...new Set(reports.map((r) => r.stop_reason))];
  return {
    run_id: reports[0]!.run_id,
    replica: null,
    version: [...new Set(reports.map((r) => r.version))].join(', '),
    started_at: new Date(start).toISOString(),
    updated_at: new Date(endedAt).toISOString(),
    elapsed_s: round(end, 3),
    live: false,
    status: 'finished',
    interval_s: step,
    epoch: 0,
    seq: times.length,
    pipelines,
    sink: mergeSinks(reports, shifts, times),
    ended_at: new Date(endedAt).toISOString(),
    stop_reason: reasons.join('; '),
    exit_code: Math.max(...reports.map((r) => r.exit_code)),
    summary: summaryIds.map((id) => mergeSummaryLines(reports.flatMap((r) => r.summary.filter((s) => String(s.pipeline) === id)))),
    // One sink's report is the run's; several sinks' reports are each their replica's.
    sink_summary: sinkSummaries.length === 1 ? sinkSummaries[0] : sinkSummaries.length === 0 ? null : sinkSummaries,
    config: reports[0]!.config,
    replicas: reports.map((r, i) => ({
      file: files[i]!, replica: r.replica, started_at: r.started_at, ended_at: r.ended_at,
      exit_code: r.exit_code, stop_reason: r.stop_reason, summary: r.summary,
    })),
    missing_replicas: missing,
  };
}
