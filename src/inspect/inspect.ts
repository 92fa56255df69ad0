import { stat } from 'node:fs/promises';
import type { Signal } from '../otlp/signals.js';
import { RESOURCES } from '../otlp/wire/fields.js';
import { eachField } from '../otlp/wire/reader.js';
import { LogStats } from './log-stats.js';
import { MetricStats } from './metric-stats.js';
import type { SignalStats } from './signal-stats.js';
import { openTemplateStream, type TemplateFormat } from './template-stream.js';
import { TraceStats } from './trace-stats.js';

/** What `inspect` reports about one template or recording file. */
export interface Inspection {
  file: string;
  signal: Signal;
  format: TemplateFormat;
  gzip: boolean;
  /** Requests in the file: records or JSON lines; a bare request is 1. */
  requests: number;
  resources: number;
  /** Spans, data points or log records. */
  events: number;
  /** Events per service.name, most first. */
  services: { name: string; events: number }[];
  /** Earliest and latest time in the file (ISO), the span between them, and whether they are offsets (a template's relative times) rather than dates. */
  time: { first: string; last: string; seconds: number; relative: boolean } | null;
  bytes: { file: number; uncompressed: number };
  /** Signal-specific: traces and their shape, metric names and series, log trace context. */
  figures: Record<string, unknown>;
  /** Counts of what would replay badly (0 = none found). */
  problems: Record<string, number>;
  seconds: number;
}

/** Times below this (~11.6 days after the epoch) are relative offsets, as the template loader takes them. */
const RELATIVE_LIMIT_MS = 1e9;

const STATS: Record<Signal, () => SignalStats> = { traces: () => new TraceStats(), metrics: () => new MetricStats(), logs: () => new LogStats() };

/**
 * Reads a template file once, as a stream of requests walked at the wire level: memory
 * holds the per-trace (or per-series) tables, never the decoded data.
 */
export async function inspectFile(file: string, signal?: Signal): Promise<Inspection> {
  const t0 = performance.now();
  const stream = await openTemplateStream(file, signal);
  const stats = STATS[stream.signal]();
  let requests = 0;
  for await (const piece of stream.pieces) {
    requests = piece.request + 1;
    const buf = piece.bytes;
    eachField(buf, 0, buf.length, RESOURCES, (rs, re) => stats.resource(buf, rs, re));
  }
  const { figures, problems } = stats.details();
  const timed = Number.isFinite(stats.firstMs);
  return {
    file,
    signal: stream.signal,
    format: stream.format,
    gzip: stream.gzip,
    requests,
    resources: stats.resources,
    events: stats.events,
    services: [...stats.services].sort((a, b) => b[1] - a[1]).map(([name, events]) => ({ name, events })),
    time: timed ? { first: iso(stats.firstMs), last: iso(stats.lastMs), seconds: (stats.lastMs - stats.firstMs) / 1000, relative: stats.lastMs < RELATIVE_LIMIT_MS } : null,
    bytes: { file: (await stat(file)).size, uncompressed: stream.rawBytes },
    figures,
    problems,
    seconds: (performance.now() - t0) / 1000,
  };
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}
