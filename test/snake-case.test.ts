import { describe, expect, it } from 'vitest';
import { snakeCased, snakeKey } from '../src/snake-case.js';

describe('snakeCased', () => {
  it('renames camelCase keys at every depth, in objects inside lists too, and leaves values alone', () => {
    const out = snakeCased({ startedAt: 'x', signals: { traces: { faultedRequests: 1, eventsPerSecond: 2 } }, examples: [{ traceId: 'aB', message: 'keepMe' }], ok: true, none: null });
    expect(out).toEqual({ started_at: 'x', signals: { traces: { faulted_requests: 1, events_per_second: 2 } }, examples: [{ trace_id: 'aB', message: 'keepMe' }], ok: true, none: null });
    // The type says so too: this line compiles only with the snake_case names.
    expect(out.signals.traces.events_per_second + out.examples[0]!.trace_id.length).toBe(4);
  });

  it('keeps keys that are already snake_case, and non-plain objects as they are', () => {
    const when = new Date(0);
    expect(snakeCased({ duplicate_span_id: 3, at: when })).toEqual({ duplicate_span_id: 3, at: when });
    expect(snakeKey('idWindow')).toBe('id_window');
  });
});
