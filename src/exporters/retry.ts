import type { RetryConfig } from './exporter-config.js';
import { ExportError } from '../errors.js';
import type { ExportOutcome } from './exporter.js';
import type { ResponseSummary } from './partial-success.js';

/** What one successful attempt learned: the response, and the body bytes it put on the wire. */
export interface Accepted extends ResponseSummary {
  wireBytes: number;
}

/** One transport attempt: resolves when the endpoint accepted, throws an ExportError otherwise. */
export type Attempt = (abort: AbortSignal | undefined) => Promise<Accepted>;

/** What the retry loop tells its caller while it runs. */
export interface RetryEvents {
  /** An attempt failed and will be retried; `delayMs` until the next attempt, or null when the next step is giving up at max_elapsed_time. */
  onAttemptFailed?(err: ExportError, attempt: number, delayMs: number | null): void;
  /** A retry attempt is starting. */
  onRetry?(): void;
}

/** The outcome code of a request stopped by its AbortSignal. */
export const ABORTED_CODE = 'ERR_EXPORT_ABORTED';

/**
 * The Collector's exporter-helper retry loop (cenkalti/backoff ExponentialBackOff):
 * each delay is the current interval randomized by ±randomizationFactor and the interval
 * grows by `multiplier` up to `maxIntervalMs`. A server-requested delay (RetryInfo,
 * Retry-After) replaces the backoff delay for that attempt.
 *
 * `maxElapsedTimeMs` (0 = never give up) is a deadline from the first attempt: a sleep
 * that would run past it is cut to end at it, and no attempt starts at or after it, so a
 * request gives up at the deadline (or when an attempt already running ends, bounded by
 * the attempt timeout), never a whole backoff step early or late.
 */
export class RetryPolicy {
  readonly #cfg: RetryConfig;
  readonly #random: () => number;

  constructor(cfg: RetryConfig, random: () => number = Math.random) {
    if (!(cfg.initialIntervalMs > 0)) throw new RangeError('retry initialIntervalMs must be > 0');
    if (!(cfg.maxIntervalMs >= cfg.initialIntervalMs)) throw new RangeError('retry maxIntervalMs must be >= initialIntervalMs');
    if (!(cfg.multiplier >= 1)) throw new RangeError('retry multiplier must be >= 1');
    if (!(cfg.randomizationFactor >= 0 && cfg.randomizationFactor <= 1)) throw new RangeError('retry randomizationFactor must be in [0, 1]');
    if (!(cfg.maxElapsedTimeMs >= 0)) throw new RangeError('retry maxElapsedTimeMs must be >= 0');
    this.#cfg = cfg;
    this.#random = random;
  }

  /** The randomized delay for a given current interval (backoff's getRandomValueFromInterval). */
  randomize(intervalMs: number): number {
    const delta = this.#cfg.randomizationFactor * intervalMs;
    const min = intervalMs - delta;
    return min + this.#random() * (2 * delta);
  }

  /** Runs `attempt` until it succeeds, fails permanently, the policy gives up or `abort` fires. Never rejects. */
  async run(attempt: Attempt, abort: AbortSignal | undefined, events: RetryEvents = {}): Promise<ExportOutcome> {
    const cfg = this.#cfg;
    const started = performance.now();
    const deadline = cfg.maxElapsedTimeMs > 0 ? started + cfg.maxElapsedTimeMs : Infinity;
    let interval = cfg.initialIntervalMs;
    let retries = 0;
    let last: ExportError | undefined;
    for (;;) {
      if (abort?.aborted) return aborted(retries, last);
      try {
        const ok = await attempt(abort);
        return { status: 'sent', rejected: ok.rejected, retries, wireBytes: ok.wireBytes, message: ok.message, unparsed: ok.unparsed };
      } catch (e) {
        if (abort?.aborted) return aborted(retries, last);
        last = e instanceof ExportError ? e : new ExportError('ERR_EXPORT_INTERNAL', String((e as Error)?.message ?? e), { retryable: false });
      }
      if (!cfg.enabled || !last.retryable) return failed(last, retries);

      let delay = this.randomize(interval);
      interval = Math.min(interval * cfg.multiplier, cfg.maxIntervalMs);
      if (last.retryAfterMs !== undefined) delay = last.retryAfterMs;
      const now = performance.now();
      const givesUp = now + delay >= deadline;
      if (now >= deadline) return gaveUp(last, retries, now - started, cfg.maxElapsedTimeMs);
      events.onAttemptFailed?.(last, retries + 1, givesUp ? null : delay);
      if (!(await sleep(givesUp ? deadline - now : delay, abort))) return aborted(retries, last);
      if (givesUp) return gaveUp(last, retries, performance.now() - started, cfg.maxElapsedTimeMs);
      if (abort?.aborted) return aborted(retries, last);
      retries++;
      events.onRetry?.();
    }
  }
}

function failed(err: ExportError, retries: number): ExportOutcome {
  return { status: 'failed', rejected: 0, retries, wireBytes: 0, code: err.code, message: err.message };
}

function gaveUp(err: ExportError, retries: number, elapsedMs: number, maxMs: number): ExportOutcome {
  const out = failed(err, retries);
  out.message = `${err.message}; gave up after ${attempts(retries + 1)} in ${Math.round(elapsedMs)}ms (max_elapsed_time ${maxMs}ms)`;
  return out;
}

/** Stopped by the caller; the last attempt's error says what the request was waiting for. */
function aborted(retries: number, last: ExportError | undefined): ExportOutcome {
  const message = last ? `export aborted after ${attempts(retries + 1)}; last error ${last.code}: ${last.message}` : 'export aborted';
  return { status: 'failed', rejected: 0, retries, wireBytes: 0, code: ABORTED_CODE, message };
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/** Resolves true after `ms`, or false as soon as `abort` fires. */
function sleep(ms: number, abort: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (abort?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      abort?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    abort?.addEventListener('abort', onAbort, { once: true });
  });
}
