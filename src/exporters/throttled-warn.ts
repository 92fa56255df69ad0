import type { Logger } from '../log.js';
import type { ExportOutcome } from './exporter.js';
import { ABORTED_CODE } from './retry.js';
import type { Signal } from '../otlp/signals.js';

/**
 * Logs recurring conditions (failures, rejections) without flooding the log: the first
 * occurrence of each kind (`key`) is logged at once, later ones at most once per interval
 * per kind, with the count suppressed since the last line. Kinds are throttled apart, so
 * a steady stream of rejections never hides the first connection failure.
 */
export class ThrottledWarn {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #kinds = new Map<string, { last: number; suppressed: number }>();

  constructor(log: Logger, intervalMs = 10_000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = performance.now();
    const kind = this.#kinds.get(key);
    if (kind && now - kind.last < this.#intervalMs) {
      kind.suppressed++;
      return;
    }
    this.#log.warn({ ...fields, suppressed: kind?.suppressed ?? 0 }, msg);
    this.#kinds.set(key, { last: now, suppressed: 0 });
  }
}

/**
 * Warns about how a request ended when it needs attention: failed, items rejected, or a
 * success response that could not be decoded. An abort is our own doing (drain deadline,
 * forced exit) and is reported by whoever aborted. `url` is added to failures when known.
 */
export function warnOutcome(warn: ThrottledWarn, signal: Signal, outcome: ExportOutcome, url?: string): void {
  const where = url === undefined ? { signal } : { signal, url };
  if (outcome.status === 'failed') {
    if (outcome.code === ABORTED_CODE) return;
    warn.warn(`failed:${outcome.code}`, { ...where, code: outcome.code, retries: outcome.retries, reason: outcome.message }, 'export failed');
  } else if (outcome.unparsed !== undefined) {
    warn.warn('unparsed', { ...where, reason: outcome.unparsed }, 'endpoint accepted the request but its response could not be decoded (counted as sent and as an unparsed response)');
  } else if (outcome.rejected > 0) {
    warn.warn('rejected', { signal, rejected: outcome.rejected, reason: outcome.message }, 'endpoint rejected items (partial success)');
  }
}
