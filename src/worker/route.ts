/**
 * One exporter of a pipeline worker with what the worker keeps for it: its in-flight
 * slots, its counters and latency histogram, and the last request it counted as failed.
 * Every stamped request a route takes ends in exactly one of sent, failed or dropped.
 */
import type { ExporterConfig } from '../exporters/exporter-config.js';
import type { Exporter, ExportOutcome } from '../exporters/exporter.js';
import { createExporter } from '../exporters/index.js';
import { ABORTED_CODE } from '../exporters/retry.js';
import type { ThrottledWarn } from '../exporters/throttled-warn.js';
import type { Logger } from '../log.js';
import { LatencyHistogram } from './latency-histogram.js';
import { Slots } from './slots.js';
import { emptyCounters, type ExporterCounters, type LastFailure } from './stats.js';

export interface Route {
  exporter: Exporter;
  /** Sent the frame's stamped gzip (compression_params.stamped) rather than the request. */
  stampedGzip: boolean;
  /** The gzip level its stamped gzip images are built at (stampedGzip only). */
  gzipLevel: number;
  slots: Slots;
  counters: ExporterCounters;
  latency: LatencyHistogram;
  /** Counts a retry as it starts, so stats show a request that is still being retried. */
  countRetry: () => void;
  lastFailure?: LastFailure;
}

export function createRoute(cfg: ExporterConfig, log: Logger): Route {
  const counters = emptyCounters();
  return {
    exporter: createExporter(cfg, log),
    stampedGzip: cfg.compression === 'gzip' && cfg.compressionStamped,
    gzipLevel: cfg.compressionLevel,
    slots: new Slots(cfg.maxInFlight),
    counters,
    latency: new LatencyHistogram(),
    countRetry: () => void counters.retries++,
  };
}

/**
 * Counts one request's outcome on its route. Retries are counted as they start (see
 * Route.countRetry), not here. Latency runs from the first attempt to the outcome
 * (retries and their backoff included); requests we cancelled ourselves (drain deadline,
 * forced exit) are not timed. `abandoning`: a forced exit, whose cancels are dropped.
 */
export function countOutcome(r: Route, o: ExportOutcome, events: number, bytes: number, latencyMs: number, abandoning: boolean, warn: ThrottledWarn): void {
  const c = r.counters;
  if (o.code !== ABORTED_CODE) r.latency.record(latencyMs);
  if (o.status === 'sent') {
    c.sentFrames++;
    c.sentEvents += events - o.rejected;
    c.rejectedEvents += o.rejected;
    c.sentBytes += o.wireBytes;
    c.sentUncompressedBytes += bytes;
    if (o.unparsed !== undefined) c.unparsedResponses++;
  } else if (abandoning && o.code === ABORTED_CODE) {
    c.droppedFrames++;
    c.droppedEvents += events;
  } else {
    c.failedFrames++;
    c.failedEvents += events;
    r.lastFailure = { code: o.code ?? 'UNKNOWN', message: o.message ?? '', atMs: Date.now() };
    // The exporter logs its own failures (throttled); a cancel at the drain deadline is ours.
    if (o.code === ABORTED_CODE) {
      warn.warn(`deadline:${r.exporter.id}`, { exporter: r.exporter.id, code: o.code, reason: o.message },
        'export failed: still in flight at the drain deadline (service.shutdown_timeout)');
    }
  }
}
