import { ReplaydError } from '../errors.js';
import { RateShape } from './rate-shape.js';

/**
 * A token bucket in events, filled along a RateShape (a constant rate, or k6-style
 * stages). The pipeline loop calls `take(frame.events)` before stamping a frame, so the
 * rate limits what is sent, not what is generated. The sink uses one too (`--max-rate`).
 *
 * The bucket starts empty rather than full: a full bucket would add a whole burst on
 * top of the rate during the first seconds and a 30 s run would overshoot by burst/rate.
 * Burst only absorbs scheduling jitter and endpoint stalls.
 */
export class TokenBucket {
  /** Configured burst; undefined = 2× the current rate. Either way at least the largest request. */
  readonly #burst: number | undefined;
  #largest = 1;
  #shape: RateShape;
  #tokens: number;
  /** Time (clock ms) of the shape's origin; unset until `start` or the first take, so loading time earns nothing. */
  #origin: number | undefined;
  /** Shape time (ms since origin) when tokens were last added. */
  #last = 0;
  readonly #clock: () => number;
  /** Where the first request falls in one request interval (see ProcessorContext.phase); spent by the first take. */
  #phase: number;

  constructor(opts: { eventsPerSecond?: number; shape?: RateShape; burst?: number; phase?: number; clock?: () => number; full?: boolean }) {
    if (opts.shape === undefined) checkRate(opts.eventsPerSecond);
    this.#shape = opts.shape ?? RateShape.constant(opts.eventsPerSecond!);
    this.#burst = opts.burst === undefined ? undefined : Math.max(opts.burst, 1);
    this.#clock = opts.clock ?? monotonicMs;
    this.#tokens = opts.full ? this.burst : 0;
    const phase = opts.phase ?? 0;
    if (!(phase >= 0 && phase < 1)) throw new ReplaydError('ERR_RATELIMIT_INVALID', `phase must be in [0, 1), got ${phase}`);
    this.#phase = phase;
  }

  /** events/s now (before the origin: the shape's start rate). */
  get rate(): number {
    return this.#shape.rateAt(this.#elapsed());
  }

  /** Most tokens the bucket holds: the configured burst, or 2× the current rate; never below the largest request taken. */
  get burst(): number {
    return Math.max(this.#burst ?? 2 * this.rate, this.#largest, 1);
  }

  /** The shape's stage in progress (0 for a constant rate). */
  get stage(): number {
    return this.#shape.stageAt(this.#elapsed());
  }

  /** Starts the shape's clock at `origin` (clock ms), shared by every worker of a pipeline. */
  start(origin: number): void {
    this.#origin = origin;
    this.#last = 0;
  }

  /** From now on a constant rate, starting empty as a new bucket does (a saved-up burst would overshoot the new rate). */
  setRate(eventsPerSecond: number): void {
    checkRate(eventsPerSecond);
    this.#shape = RateShape.constant(eventsPerSecond);
    this.#origin = this.#clock();
    this.#last = 0;
    this.#tokens = 0;
  }

  /**
   * Takes `n` events if the bucket holds them and returns 0; otherwise the ms until it
   * will (waiting at most until the shape ends), or Infinity once the shape has ended.
   */
  tryTake(n: number): number {
    if (n > this.#largest) this.#largest = n;
    this.#origin ??= this.#clock();
    if (this.#phase > 0) {
      // Senders started together are offset within one request interval, not in lockstep.
      this.#tokens += n * this.#phase;
      this.#phase = 0;
    }
    const t = this.#elapsed();
    const shape = this.#shape;
    if (t > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + shape.eventsBy(t) - shape.eventsBy(this.#last));
      this.#last = t;
    }
    // Integrating a curve leaves rounding dust: a millionth of an event is not worth a wait.
    if (this.#tokens >= n - 1e-6) {
      this.#tokens -= n;
      return 0;
    }
    if (t >= shape.endMs) return Infinity;
    const ready = shape.timeOf(shape.eventsBy(t) + n - this.#tokens);
    return Math.max(Math.min(ready, shape.endMs) - t, 1e-3);
  }

  /**
   * Resolves true when `n` events may be sent and takes them from the bucket; false when
   * `abort` fires or the shape has ended. Callers take one frame at a time (the pipeline
   * loop is sequential), so no queue is needed.
   */
  async take(n: number, abort?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (abort?.aborted) return false;
      const waitMs = this.tryTake(n);
      if (waitMs === 0) return true;
      if (waitMs === Infinity) return false;
      await sleep(Math.max(1, Math.ceil(waitMs)), abort);
    }
  }

  #elapsed(): number {
    return this.#origin === undefined ? 0 : this.#clock() - this.#origin;
  }
}

function checkRate(eventsPerSecond: number | undefined): void {
  if (!(eventsPerSecond! > 0) || !Number.isFinite(eventsPerSecond)) {
    throw new ReplaydError('ERR_RATELIMIT_INVALID', `events_per_second must be a positive number, got ${eventsPerSecond}`);
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
