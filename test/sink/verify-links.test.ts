import { describe, expect, it } from 'vitest';
import { LinkCheck } from '../../src/sink/verify-links.js';

const example = () => ({ signal: 'logs' as const, message: 'm' });

describe('LinkCheck', () => {
  it('turns a reference into an orphan once its span has not arrived within the grace time, not before', () => {
    let now = 0;
    const seen = new Set<string>();
    const c = new LinkCheck((t, s) => seen.has(t + s), { maxWaiting: 10, maxExamples: 5, graceMs: 5000, now: () => now });
    c.reference('orphan_log', 'T1', 'S1', example);
    c.reference('orphan_log', 'T2', 'S2', example);
    now = 4000;
    c.spanArrived('T1', 'S1');
    expect(c.report()).toMatchObject({ pendingLinks: 1, problems: { orphan_log: 1 } });
    now = 5001;
    c.spanArrived('T2', 'S2');
    // Too late: T2/S2 was already counted as an orphan at 5001 ms.
    expect(c.report()).toMatchObject({ pendingLinks: 0, problems: { orphan_log: 1 } });
  });

  it('waits for at most maxWaiting spans: the oldest become orphans first', () => {
    const c = new LinkCheck(() => false, { maxWaiting: 3, maxExamples: 5, now: () => 0 });
    for (let i = 0; i < 10; i++) c.reference('orphan_exemplar', `T${i}`, 'S', example);
    const r = c.report();
    expect(r.pendingLinks).toBe(3);
    expect(r.problems).toEqual({ orphan_exemplar: 10 });
    c.spanArrived('T9', 'S');
    expect(c.report().problems).toEqual({ orphan_exemplar: 9 });
  });
});
