import { describe, expect, it } from 'vitest';
import { mergeById } from '../../src/telemetry/merge-snapshot.js';
import { counters, pipeline } from './fake-source.js';

describe('mergeById', () => {
  it('passes pipelines with distinct ids through unchanged', () => {
    const a = pipeline({ pipeline: 'traces/a', uptimeMs: 5 });
    const b = pipeline({ pipeline: 'logs/b', signal: 'logs' });
    expect(mergeById([a, b])).toEqual([a, b]);
  });

  it('adds up an old stopped run and a new live run of the same id', () => {
    const old = pipeline({
      pipeline: 'traces/r', state: 'stopped', workers: 1, cycles: 3, uptimeMs: 1000, rateTarget: 100,
      exporters: { a: counters({ sentEvents: 10, retries: 1 }), b: counters({ sentEvents: 1 }) },
    });
    const live = pipeline({
      pipeline: 'traces/r', state: 'running', workers: 2, cycles: 2, uptimeMs: 500, rateTarget: 200,
      exporters: { a: counters({ sentEvents: 5, inFlight: 2 }) },
    });
    expect(mergeById([old, live])).toEqual([{
      pipeline: 'traces/r', signal: 'traces', state: 'running', workers: 2, cycles: 5, uptimeMs: 1500, rateTarget: 200,
      exporters: { a: counters({ sentEvents: 15, retries: 1, inFlight: 2 }), b: counters({ sentEvents: 1 }) },
    }]);
  });

  it('reports the last run when every run has ended', () => {
    const merged = mergeById([
      pipeline({ pipeline: 'x', state: 'failed' }),
      pipeline({ pipeline: 'x', state: 'stopped' }),
    ]);
    expect(merged.map((m) => m.state)).toEqual(['stopped']);
  });
});
