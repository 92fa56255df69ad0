import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { capacityDefaults } from '../../src/config/service.js';
import type { CapacitySettings } from '../../src/config/types.js';
import { CapacitySearch, judge, type CapacityProgress, type RateControl } from '../../src/service/capacity-search.js';
import type { PipelineSnapshot, PipelineState } from '../../src/telemetry/source.js';
import { LatencyHistogram } from '../../src/worker/latency-histogram.js';
import { counters, pipeline } from '../telemetry/fake-source.js';

const silent = pino({ level: 'silent' });
const REQUEST = 500;

/**
 * A pipeline sending to an endpoint that accepts `capacity` events/s, on a virtual clock:
 * above it the endpoint refuses what is over (each refusal retried), and answers slowly.
 * `hiccups` lists virtual times (ms) at which one window goes wrong anyway.
 */
class SimulatedEndpoint implements RateControl {
  now = 0;
  rate = 0;
  state: PipelineState = 'running';
  progress: CapacityProgress[] = [];
  readonly hiccups: number[];
  readonly #snap = pipeline({ pipeline: 'traces', exporters: { otlp_grpc: counters() } });
  readonly #latency = new LatencyHistogram();

  constructor(readonly capacity: number, opts: { hiccups?: number[] } = {}) {
    this.hiccups = opts.hiccups ?? [];
  }

  setRate(_id: string, eventsPerSecond: number): void {
    this.rate = eventsPerSecond;
  }

  /** Advances the clock by `ms` at the current rate. */
  advance(ms: number): void {
    const hiccup = this.hiccups.some((t) => t >= this.now && t < this.now + ms);
    const accepted = (hiccup ? 0.5 : 1) * Math.min(this.rate, this.capacity) * (ms / 1000);
    const refused = Math.max(0, this.rate * (ms / 1000) - accepted);
    const c = this.#snap.exporters.otlp_grpc!;
    c.sentEvents += accepted;
    c.sentFrames += accepted / REQUEST;
    c.retries += refused / REQUEST;
    for (let i = 0; i < accepted / REQUEST; i++) this.#latency.record(this.rate > this.capacity || hiccup ? 800 : 4);
    this.#snap.sendingMs += ms;
    this.now += ms;
  }

  async refresh(): Promise<PipelineSnapshot | undefined> {
    return structuredClone({ ...this.#snap, state: this.state, latency: { otlp_grpc: this.#latency.snapshot() } });
  }

  showCapacity(_id: string, p: CapacityProgress): void {
    this.progress.push(p);
  }

  sleep = async (ms: number, abort: AbortSignal | undefined): Promise<boolean> => {
    if (abort?.aborted) return false;
    this.advance(ms);
    return true;
  };
}

function search(endpoint: SimulatedEndpoint, settings: Partial<CapacitySettings> = {}): CapacitySearch {
  return new CapacitySearch({
    control: endpoint, pipeline: 'traces', signal: 'traces', log: silent, sleep: endpoint.sleep,
    settings: { ...capacityDefaults(), startRate: 10_000, warmupMs: 1000, windowMs: 5000, ...settings },
  });
}

describe('CapacitySearch', () => {
  it('ramps up until a step fails, then bisects to the highest rate held, with the evidence of every step', async () => {
    const endpoint = new SimulatedEndpoint(50_000);
    const r = await search(endpoint).run();
    expect(r.maxSustained).toBeGreaterThanOrEqual(50_000 * 0.95);
    expect(r.maxSustained).toBeLessThanOrEqual(50_000);
    expect(r.stoppedBecause).toMatch(/within 5 %/);
    // 10k, 20k, 40k hold; 80k fails (and again, to confirm); then halfway each time.
    expect(r.steps.slice(0, 5).map((s) => [s.target, s.phase, s.attempt, s.held])).toEqual([
      [10_000, 'ramp', 1, true], [20_000, 'ramp', 1, true], [40_000, 'ramp', 1, true], [80_000, 'ramp', 1, false], [80_000, 'ramp', 2, false],
    ]);
    expect(r.steps[5]).toMatchObject({ target: 60_000, phase: 'narrow' });
    const held = r.steps[2]!;
    expect(held).toMatchObject({ sentRate: 40_000, windowMs: 5000, requests: 400, retries: 0, errorRatio: 0, reasons: [] });
    expect(held.p50Ms).toBeGreaterThan(3);
    expect(held.p99Ms).toBeLessThanOrEqual(5);
    const failed = r.steps[3]!;
    expect(failed.sentRate).toBe(50_000);
    expect(failed.reasons).toEqual([
      'accepted 62.5 % of the rate (at least 95 % needed)',
      'failed requests and retries were 60 % of requests (at most 1 %)',
    ]);
    expect(failed.p99Ms).toBeGreaterThan(700);
    // The pipeline's snapshot shows the search as it goes.
    expect(endpoint.progress.at(-1)).toMatchObject({ maxSustained: r.maxSustained, steps: r.steps });
  });

  it('measures a failed rate again, so one hiccup does not cap the result', async () => {
    // Something goes wrong during the 20k step's first window: first request at 100 ms, 10k from
    // 100 (warmup 1 s, window 5 s), 20k from 6100 (window from 7100).
    const endpoint = new SimulatedEndpoint(50_000, { hiccups: [9000] });
    const r = await search(endpoint).run();
    expect(r.steps[1]).toMatchObject({ target: 20_000, attempt: 1, held: false });
    expect(r.steps[2]).toMatchObject({ target: 20_000, attempt: 2, held: true });
    expect(r.maxSustained).toBeGreaterThanOrEqual(50_000 * 0.95);
  });

  it('fails a step whose p99 latency is above max_p99', async () => {
    const endpoint = new SimulatedEndpoint(15_000);
    const r = await search(endpoint, { maxP99Ms: 500, maxErrorRatio: 1e9, minSentRatio: 0.1, confirmFailures: 0 }).run();
    expect(r.steps[1]!.reasons).toEqual([expect.stringMatching(/^p99 latency \d+ ms \(at most 500 ms\)$/)]);
    expect(r.maxSustained).toBeGreaterThanOrEqual(15_000 * 0.95);
    expect(r.maxSustained).toBeLessThanOrEqual(15_000);
  });

  it('stops at max_rate when every step holds, and at max_steps', async () => {
    let r = await search(new SimulatedEndpoint(1e9), { maxRate: 30_000 }).run();
    expect(r.steps.map((s) => s.target)).toEqual([10_000, 20_000, 30_000]);
    expect(r).toMatchObject({ maxSustained: 30_000, stoppedBecause: 'every step held, up to max_rate (30000 events/s)' });
    r = await search(new SimulatedEndpoint(1e9), { maxSteps: 4 }).run();
    expect(r).toMatchObject({ maxSustained: 80_000, stoppedBecause: 'max_steps (4) reached' });
    expect(r.steps).toHaveLength(4);
  });

  it('narrows down below the start rate when even that fails, and reports 0 when nothing held', async () => {
    const r = await search(new SimulatedEndpoint(3000)).run();
    expect(r.maxSustained).toBeGreaterThanOrEqual(3000 * 0.95);
    expect(r.maxSustained).toBeLessThanOrEqual(3000);
    const none = await search(new SimulatedEndpoint(0), { maxSteps: 6 }).run();
    expect(none.maxSustained).toBe(0);
    expect(none.steps.every((s) => !s.held)).toBe(true);
  });

  it('ends with what it has when the pipeline stops or the search is stopped', async () => {
    const endpoint = new SimulatedEndpoint(50_000);
    const sleep = endpoint.sleep;
    let calls = 0;
    endpoint.sleep = async (ms, abort) => {
      // The pipeline finishes (its loops ran out) in the third step's warmup.
      if (++calls === 6) endpoint.state = 'stopped';
      return sleep(ms, abort);
    };
    const r = await search(endpoint).run();
    expect(r).toMatchObject({ maxSustained: 20_000, stoppedBecause: 'the pipeline stopped' });
    const ac = new AbortController();
    ac.abort();
    const aborted = await search(new SimulatedEndpoint(50_000)).run(ac.signal);
    expect(aborted).toMatchObject({ maxSustained: 0, stoppedBecause: 'stopped before the search started', steps: [] });
  });
});

describe('judge', () => {
  const settings = { ...capacityDefaults(), maxErrorRatio: 0.01 };
  const snap = (sendingMs: number, a: number, b: number): PipelineSnapshot =>
    pipeline({ pipeline: 'p', sendingMs, exporters: { a: counters({ sentEvents: a, sentFrames: a / 100 }), b: counters({ sentEvents: b, sentFrames: b / 100 }) } });

  it('holds a pipeline to its slowest exporter: every exporter gets every request', () => {
    const step = judge({ step: 1, phase: 'ramp', attempt: 1, target: 1000 }, snap(0, 0, 0), snap(10_000, 10_000, 8000), settings);
    expect(step.sentRate).toBe(800);
    expect(step.held).toBe(false);
    expect(step.reasons).toEqual(['accepted 80 % of the rate (at least 95 % needed)']);
  });

  it('does not hold a window in which no request ended', () => {
    const step = judge({ step: 1, phase: 'ramp', attempt: 1, target: 1000 }, snap(0, 0, 0), snap(10_000, 0, 0), settings);
    expect(step.held).toBe(false);
    expect(step.reasons[0]).toBe('no request ended in the window');
    expect([step.p50Ms, step.p99Ms]).toEqual([null, null]);
  });
});
