import type { Logger } from '../log.js';
import { replaceFile } from '../output-files.js';
import { snakeCased, type SnakeCased } from '../snake-case.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import type { SecondCount, SinkCounts, SignalCounts } from './intake.js';
import type { VerificationReport } from './verifier-thread.js';

export interface SignalSummary extends SignalCounts {
  eventsPerSecond: number;
  bytesPerSecond: number;
}

interface ReportFields {
  startedAt: string;
  durationSeconds: number;
  signals: Record<Signal, SignalSummary>;
  total: SignalSummary;
  faults: object;
  /** Events received per second of arrival (epoch seconds), the last hour. */
  timeline: SecondCount[];
  verification: VerificationReport | null;
}

/** The JSON written by `sink --report` and `extensions.sink.report`: snake_case keys, like every other output. */
export type SinkReport = SnakeCased<ReportFields>;

/** Rates per signal between two snapshots `seconds` apart (the whole run or one stats interval). */
export function summarize(counts: SinkCounts, since: SinkCounts | undefined, seconds: number): Record<Signal, SignalSummary> & { total: SignalSummary } {
  const out = {} as Record<Signal, SignalSummary> & { total: SignalSummary };
  const total: SignalCounts = { requests: 0, events: 0, bytes: 0, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 };
  for (const s of SIGNAL_NAMES) {
    const c = counts[s];
    const base = since?.[s];
    out[s] = withRates(c, base ? c.events - base.events : c.events, base ? c.bytes - base.bytes : c.bytes, seconds);
    for (const k of Object.keys(total) as (keyof SignalCounts)[]) total[k] += c[k];
  }
  const baseEvents = since ? SIGNAL_NAMES.reduce((n, s) => n + since[s].events, 0) : 0;
  const baseBytes = since ? SIGNAL_NAMES.reduce((n, s) => n + since[s].bytes, 0) : 0;
  out.total = withRates(total, total.events - baseEvents, total.bytes - baseBytes, seconds);
  return out;
}

function withRates(c: SignalCounts, events: number, bytes: number, seconds: number): SignalSummary {
  return {
    ...c,
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
    bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0,
  };
}

export function buildReport(opts: {
  startedAt: number; now: number; counts: SinkCounts; faults: object; timeline: SecondCount[]; verification: VerificationReport | undefined;
}): SinkReport {
  const seconds = (opts.now - opts.startedAt) / 1000;
  const { total, ...signals } = summarize(opts.counts, undefined, seconds);
  return snakeCased<ReportFields>({
    startedAt: new Date(opts.startedAt).toISOString(),
    durationSeconds: Math.round(seconds * 1000) / 1000,
    signals,
    total,
    faults: opts.faults,
    timeline: opts.timeline,
    verification: opts.verification ?? null,
  });
}

/** Says why the sink's count can be below what its clients tried to send. */
export function warnLate(log: Logger, lateRequests: number): void {
  if (lateRequests === 0) return;
  log.warn(
    { late_requests: lateRequests },
    'requests answered after their client had given up (gRPC deadline passed, stream reset or connection closed) were not counted as received: the client sends them again',
  );
}

/** Writes the report through a temp file so a reader never sees half a JSON document. */
export async function writeReport(file: string, report: SinkReport): Promise<void> {
  await replaceFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
