import { describe, expect, it } from 'vitest';
import { formatResult, resultJson } from '../../src/cli/capacity.js';
import { capacityDefaults } from '../../src/config/service.js';
import type { CapacityResult, CapacityStep } from '../../src/service/capacity-search.js';

const step = (n: number, target: number, held: boolean, extra: Partial<CapacityStep> = {}): CapacityStep => ({
  step: n, phase: n <= 2 ? 'ramp' : 'narrow', attempt: 1, target, sentRate: held ? target : 50_100, windowMs: 3000, requests: 100,
  failedRequests: 0, retries: held ? 0 : 60, errorRatio: held ? 0 : 0.6, p50Ms: 1.5, p99Ms: held ? 12 : 450, held,
  reasons: held ? [] : ['accepted 62.6 % of the rate (at least 95 % needed)'], ...extra,
});

const result: CapacityResult = {
  pipeline: 'traces', signal: 'traces', maxSustained: 40_000, stoppedBecause: 'the highest rate held and the lowest that failed are within 5 %',
  steps: [step(1, 40_000, true), step(2, 80_000, false)],
};

describe('capacity output', () => {
  it('prints a table of the steps and the highest rate held, in the signal\'s unit', () => {
    expect(formatResult(result, capacityDefaults())).toBe([
      'capacity search, pipeline traces: 2 steps, the highest rate held and the lowest that failed are within 5 %',
      'step  target/s  sent/s  p50 ms  p99 ms  errors  result',
      '1       40,000  40,000    1.50      12   0.0 %  held',
      '2       80,000  50,100    1.50     450  60.0 %  failed: accepted 62.6 % of the rate (at least 95 % needed)',
      'max sustained: 40,000 spans/s (step 1: 40,000 spans/s accepted over 3.0 s)',
      '',
    ].join('\n'));
  });

  it('gives JSON with max_sustained_events_per_second, the settings and every step', () => {
    const json = resultJson(result, capacityDefaults());
    expect(json).toMatchObject({ pipeline: 'traces', unit: 'spans', max_sustained_events_per_second: 40_000, settings: { start_rate: 1000, window_ms: 10_000 } });
    expect((json.steps as unknown[])[1]).toEqual({
      step: 2, phase: 'ramp', attempt: 1, target_events_per_second: 80_000, sent_events_per_second: 50_100, window_ms: 3000, requests: 100,
      failed_requests: 0, retries: 60, error_ratio: 0.6, latency_p50_ms: 1.5, latency_p99_ms: 450, held: false,
      reasons: ['accepted 62.6 % of the rate (at least 95 % needed)'],
    });
  });
});
