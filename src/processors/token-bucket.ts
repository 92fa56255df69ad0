import { ReplaydError } from '../errors.js';

/**
 * A token bucket in events per second. The pipeline loop calls `take(frame.events)`
 * before stamping a frame, so the rate limits what is sent, not what is generated.
 *
 * The bucket starts empty rather than full: a full bucket would add a whole burst on
 * top of the rate during the first seconds and a 30 s run would overshoot by burst/rate.
 * Burst only absorbs scheduling jitter and endpoint stalls.
 *
 * `phase` (in [0, 1)) puts that fraction of the first request in the bucket at the first
 * take, so the first request goes (1 - phase) request intervals later, not one. Senders
 * given phases k/S for k = 0..S-1 fire evenly spread, and by Hermite's identity
 * (Σ⌊x + k/S⌋ = ⌊S·x⌋) together send exactly what one bucket at their summed rate would.
 */
export class TokenBucket {
  readonly rate: number;
  /** Raised to the largest request taken: a request bigger than the bucket could never be admitted. */
  burst: number;
  private tokens = 0;
  /** When tokens were last added; unset until the first take, so time spent loading templates earns nothing. */
  private last: number | undefined;
  private readonly clock: () => number;
  private readonly phase: number;

  constructor(opts: { eventsPerSecond: number; burst?: number; phase?: number; clock?: () => number }) {
    if (!(opts.eventsPerSecond > 0) || !Number.isFinite(opts.eventsPerSecond)) {
      throw new ReplaydError('ERR_RATELIMIT_INVALID', `events_per_second must be a positive number, got ${opts.eventsPerSecond}`);
    }
    this.rate = opts.eventsPerSecond;
    this.burst = Math.max(opts.burst ?? 2 * this.rate, 1);
    this.clock = opts.clock ?? monotonicMs;
    const phase = opts.phase ?? 0;
    if (!(phase >= 0 && phase < 1)) throw new ReplaydError('ERR_RATELIMIT_INVALID', `phase must be in [0, 1), got ${phase}`);
    this.phase = phase;
  }

  /** Takes `n` events if the bucket holds them and returns 0; otherwise the ms until it will. */
  tryTake(n: number): number {
    if (n > this.burst) this.burst = n;
    const now = this.clock();
    if (this.last === undefined) this.tokens = n * this.phase;
    this.tokens = Math.min(this.burst, this.tokens + ((now - (this.last ?? now)) * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return ((n - this.tokens) * 1000) / this.rate;
  }

  /**
   * Resolves when `n` events may be sent and takes them from the bucket. Callers take
   * one frame at a time (the pipeline loop is sequential), so no queue is needed.
   */
  async take(n: number, abort?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (abort?.aborted) return false;
      const waitMs = this.tryTake(n);
      if (waitMs === 0) return true;
      await sleep(Math.max(1, Math.ceil(waitMs)), abort);
    }
  }
}

function monotonicMs(): number {
  return performance.now();
}

function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      abort?.removeEventListener('abort', done);
      resolve();
    }
    abort?.addEventListener('abort', done, { once: true });
  });
}
