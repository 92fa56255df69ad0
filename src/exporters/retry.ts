import type { RetryConfig } from './exporter-config.js';
import { ExportError } from '../errors.js';
import type { ExportOutcome } from './exporter.js';

/** What one successful attempt learned from the endpoint's response. */
export interface Accepted {
  rejected: number;
  message?: string;
}

/** One transport attempt: resolves when the endpoint accepted, throws an ExportError otherwise. */
export type Attempt = (abort: AbortSignal | undefined) => Promise<Accepted>;

/** The outcome code of a request stopped by its AbortSignal. */
export const ABORTED_CODE = 'ERR_EXPORT_ABORTED';

/**
 * The Collector's exporter-helper retry loop (cenkalti/backoff ExponentialBackOff):
 * each delay is the current interval randomized by ±randomizationFactor, the interval
 * grows by `multiplier` up to `maxIntervalMs`, and we give up as soon as the elapsed
 * time plus the next delay would pass `maxElapsedTimeMs` (0 = never give up).
 * A server-requested delay (RetryInfo, Retry-After) replaces the backoff delay for
 * that attempt but is still bounded by `maxElapsedTimeMs`.
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
  async run(attempt: Attempt, abort: AbortSignal | undefined): Promise<ExportOutcome> {
    const cfg = this.#cfg;
    const started = performance.now();
    let interval = cfg.initialIntervalMs;
    for (let retries = 0; ; retries++) {
      if (abort?.aborted) return aborted(retries);
      let err: ExportError;
      try {
        const ok = await attempt(abort);
        return { status: 'sent', rejected: ok.rejected, retries, message: ok.message };
      } catch (e) {
        if (abort?.aborted) return aborted(retries);
        err = e instanceof ExportError ? e : new ExportError('ERR_EXPORT_INTERNAL', String((e as Error)?.message ?? e), { retryable: false });
      }
      if (!cfg.enabled || !err.retryable) return failed(err, retries);

      let delay = this.randomize(interval);
      interval = Math.min(interval * cfg.multiplier, cfg.maxIntervalMs);
      if (err.retryAfterMs !== undefined) delay = err.retryAfterMs;
      const elapsed = performance.now() - started;
      if (cfg.maxElapsedTimeMs > 0 && elapsed + delay > cfg.maxElapsedTimeMs) {
        return failed(err, retries, `gave up after ${retries + 1} attempts in ${Math.round(elapsed)}ms (max_elapsed_time ${cfg.maxElapsedTimeMs}ms)`);
      }
      if (!(await sleep(delay, abort))) return aborted(retries);
    }
  }
}

function failed(err: ExportError, retries: number, suffix?: string): ExportOutcome {
  return { status: 'failed', rejected: 0, retries, code: err.code, message: suffix ? `${err.message}; ${suffix}` : err.message };
}

function aborted(retries: number): ExportOutcome {
  return { status: 'failed', rejected: 0, retries, code: ABORTED_CODE, message: 'export aborted' };
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
