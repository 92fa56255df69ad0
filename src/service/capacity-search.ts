/**
 * The capacity search behind `otel-replayd capacity`: finds the highest rate an endpoint
 * sustains. It steps the rate of one running pipeline (a `rate` message to its workers,
 * never a restart): up by `growth` while every step holds, then, once one fails, halfway
 * between the highest rate held and the lowest that failed, until they are `precision`
 * apart. A step holds when, over a whole window after a warmup, the endpoint accepted
 * at least `min_sent_ratio` of the rate, failures plus retries stayed within
 * `max_error_ratio` of the requests, and the p99 export latency within `max_p99`. A rate
 * that fails is measured again (`confirm_failures`) before it counts as failed: one hiccup
 * of the endpoint or of a busy machine would otherwise cap the result for good.
 */
import type { CapacitySettings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Signal } from '../otlp/signals.js';
import { isTerminal } from '../telemetry/pipeline-state.js';
import type { CapacityProgress, CapacityStep, PipelineSnapshot } from '../telemetry/source.js';
import { addLatency, emptyLatency, latencyQuantile, latencySince } from '../worker/latency-histogram.js';

export type { CapacityProgress, CapacityStep } from '../telemetry/source.js';

const FIRST_POLL_MS = 100;

export interface CapacityResult {
  pipeline: string;
  signal: Signal;
  /** The highest rate (events/s) that held for a whole window; 0 when none did. */
  maxSustained: number;
  /** Why the search ended. */
  stoppedBecause: string;
  steps: CapacityStep[];
}

/** What the search needs from the supervisor. */
export interface RateControl {
  setRate(pipeline: string, eventsPerSecond: number): void;
  /** Fresh numbers from the pipeline's workers; undefined when it is gone. */
  refresh(pipeline: string): Promise<PipelineSnapshot | undefined>;
  /** Puts the search's progress into the pipeline's snapshot (stats lines, /metrics, a dashboard). */
  showCapacity(pipeline: string, progress: CapacityProgress): void;
}

export interface CapacitySearchOptions {
  control: RateControl;
  pipeline: string;
  signal: Signal;
  settings: CapacitySettings;
  log: Logger;
  /** Waits `ms`; false when `abort` fired first. Tests pass a clock that does not wait. */
  sleep?: (ms: number, abort: AbortSignal | undefined) => Promise<boolean>;
}

export class CapacitySearch {
  readonly #o: CapacitySearchOptions;
  readonly #sleep: (ms: number, abort: AbortSignal | undefined) => Promise<boolean>;
  readonly #steps: CapacityStep[] = [];

  constructor(opts: CapacitySearchOptions) {
    this.#o = opts;
    this.#sleep = opts.sleep ?? sleep;
  }

  /** Runs the search to its end, or until `abort` fires or the pipeline stops; returns what it found. */
  async run(abort?: AbortSignal): Promise<CapacityResult> {
    const s = this.#o.settings;
    let rate = s.startRate;
    let held = 0;
    let failed = Infinity;
    let stoppedBecause = '';
    // Connections open and code warms up at the start rate, so the first step measures the endpoint, not that.
    if (!(await this.#firstRequests(rate, abort))) stoppedBecause = abort?.aborted ? 'stopped before the search started' : 'the pipeline stopped';
    while (stoppedBecause === '') {
      const phase = failed === Infinity ? 'ramp' : 'narrow';
      let step: CapacityStep | undefined;
      for (let attempt = 1; attempt <= 1 + s.confirmFailures && !step?.held; attempt++) {
        if (this.#steps.length >= s.maxSteps) break;
        step = await this.#measure(this.#steps.length + 1, phase, attempt, rate, held, abort);
        if (!step) break;
        this.#steps.push(step);
        this.#report(step, held);
      }
      if (!step) {
        stoppedBecause = this.#steps.length >= s.maxSteps ? `max_steps (${s.maxSteps}) reached` : abort?.aborted ? 'stopped before the search finished' : 'the pipeline stopped';
        break;
      }
      if (step.held) held = Math.max(held, rate);
      else failed = Math.min(failed, rate);
      this.#o.control.showCapacity(this.#o.pipeline, { step: step.step, phase, target: rate, maxSustained: held, steps: [...this.#steps] });
      if (this.#steps.length >= s.maxSteps) {
        stoppedBecause = `max_steps (${s.maxSteps}) reached`;
      } else if (failed === Infinity) {
        if (s.maxRate > 0 && rate >= s.maxRate) stoppedBecause = `every step held, up to max_rate (${s.maxRate} events/s)`;
        else rate = Math.round(s.maxRate > 0 ? Math.min(rate * s.growth, s.maxRate) : rate * s.growth);
      } else if (failed - held <= s.precision * failed) {
        stoppedBecause = `the highest rate held and the lowest that failed are within ${s.precision * 100} %`;
      } else {
        rate = Math.round((held + failed) / 2);
      }
    }
    return { pipeline: this.#o.pipeline, signal: this.#o.signal, maxSustained: held, stoppedBecause, steps: [...this.#steps] };
  }

  /**
   * Sets the first rate and waits until a request has ended (at most a window: an endpoint
   * that answers nothing fails the first step instead); false when stopped first or the
   * pipeline ended.
   */
  async #firstRequests(rate: number, abort: AbortSignal | undefined): Promise<boolean> {
    const { control, pipeline, settings } = this.#o;
    control.setRate(pipeline, rate);
    for (let waited = 0; ; waited += FIRST_POLL_MS) {
      const snap = await control.refresh(pipeline);
      if (!snap || isTerminal(snap.state)) return false;
      if (waited >= settings.windowMs || Object.values(snap.exporters).some((c) => c.sentFrames + c.failedFrames > 0)) return true;
      if (!(await this.#sleep(FIRST_POLL_MS, abort))) return false;
    }
  }

  /** Sets `rate`, lets it settle, and measures one window; undefined when stopped or the pipeline ended. */
  async #measure(n: number, phase: CapacityStep['phase'], attempt: number, rate: number, held: number, abort: AbortSignal | undefined): Promise<CapacityStep | undefined> {
    const { control, pipeline, settings } = this.#o;
    control.setRate(pipeline, rate);
    control.showCapacity(pipeline, { step: n, phase, target: rate, maxSustained: held, steps: [...this.#steps] });
    if (!(await this.#sleep(settings.warmupMs, abort))) return undefined;
    const before = await control.refresh(pipeline);
    if (!before || isTerminal(before.state) || !(await this.#sleep(settings.windowMs, abort))) return undefined;
    const after = await control.refresh(pipeline);
    if (!after || isTerminal(after.state)) return undefined;
    return judge({ step: n, phase, attempt, target: rate }, before, after, settings);
  }

  #report(step: CapacityStep, held: number): void {
    this.#o.log.info({
      pipeline: this.#o.pipeline, step: step.step, phase: step.phase, attempt: step.attempt, target: step.target, sent_rate: step.sentRate,
      latency_p50_ms: step.p50Ms, latency_p99_ms: step.p99Ms, requests: step.requests, failed_requests: step.failedRequests,
      retries: step.retries, held: step.held, reasons: step.reasons, max_sustained_so_far: step.held ? Math.max(held, step.target) : held,
    }, 'capacity step');
  }
}

/** The evidence of one step, from two snapshots a window apart, and whether it held. */
export function judge(
  what: Pick<CapacityStep, 'step' | 'phase' | 'attempt' | 'target'>, a: PipelineSnapshot, b: PipelineSnapshot, s: CapacitySettings,
): CapacityStep {
  const { target } = what;
  const windowMs = b.sendingMs - a.sendingMs;
  let sentRate = Infinity;
  let requests = 0;
  let failedRequests = 0;
  let retries = 0;
  const before = emptyLatency();
  const after = emptyLatency();
  for (const [id, c] of Object.entries(b.exporters)) {
    const p = a.exporters[id];
    const sent = c.sentEvents - (p?.sentEvents ?? 0);
    // Every exporter gets every request: the pipeline holds a rate only if each of them does.
    sentRate = Math.min(sentRate, windowMs > 0 ? sent / (windowMs / 1000) : 0);
    const failed = c.failedFrames - (p?.failedFrames ?? 0);
    requests += c.sentFrames - (p?.sentFrames ?? 0) + failed;
    failedRequests += failed;
    retries += c.retries - (p?.retries ?? 0);
    if (a.latency[id]) addLatency(before, a.latency[id]!);
    if (b.latency[id]) addLatency(after, b.latency[id]!);
  }
  if (sentRate === Infinity) sentRate = 0;
  const window = latencySince(after, before);
  const p50Ms = latencyQuantile(window, 0.5);
  const p99Ms = latencyQuantile(window, 0.99);
  const errorRatio = requests > 0 ? (failedRequests + retries) / requests : 0;
  const reasons: string[] = [];
  if (requests === 0) reasons.push('no request ended in the window');
  if (sentRate < s.minSentRatio * target) reasons.push(`accepted ${pct(sentRate / target)} of the rate (at least ${pct(s.minSentRatio)} needed)`);
  if (errorRatio > s.maxErrorRatio) reasons.push(`failed requests and retries were ${pct(errorRatio)} of requests (at most ${pct(s.maxErrorRatio)})`);
  if (p99Ms !== null && p99Ms > s.maxP99Ms) reasons.push(`p99 latency ${Math.round(p99Ms)} ms (at most ${s.maxP99Ms} ms)`);
  return {
    ...what, sentRate: round(sentRate, 1), windowMs: Math.round(windowMs), requests, failedRequests, retries,
    errorRatio: round(errorRatio, 4), p50Ms: p50Ms === null ? null : round(p50Ms, 3), p99Ms: p99Ms === null ? null : round(p99Ms, 3),
    held: reasons.length === 0, reasons,
  };
}

function pct(x: number): string {
  return `${round(x * 100, 1)} %`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sleep(ms: number, abort: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (abort?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      abort?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    abort?.addEventListener('abort', onAbort, { once: true });
  });
}
