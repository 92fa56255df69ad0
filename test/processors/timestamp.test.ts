import { describe, expect, it } from 'vitest';
import { data } from '../compile/fixtures.js';
import { harness, NOW_MS } from './harness.js';

const NOW = BigInt(NOW_MS) * 1_000_000n;
const ns = (v: any): bigint => BigInt(v.toString());
const spansOf = (r: any): any[] => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));

/** Two traces: one lasting 30 s (its child ends last), one lasting 2 s. */
const traces = data('traces', {
  resourceSpans: [{ scopeSpans: [{ spans: [
    { traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1), name: 'root', startTimeUnixNano: 0, endTimeUnixNano: 20e9 },
    { traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), parentSpanId: Buffer.alloc(8, 1), name: 'late child', startTimeUnixNano: 1e9, endTimeUnixNano: 30e9 },
    { traceId: Buffer.alloc(16, 2), spanId: Buffer.alloc(8, 3), name: 'short', startTimeUnixNano: 0, endTimeUnixNano: 2e9 },
  ] }] }],
});

describe('timestamp', () => {
  it('ends every trace at now − backdate by default (align: end): no span ends after it is sent', () => {
    const { proto, json } = harness(traces, [['timestamp', { backdate: '1s' }]]).cycle(0);
    for (const reqs of [proto, json]) {
      const [root, child, short] = spansOf(reqs[0]);
      const end = NOW - 1_000_000_000n;
      expect(ns(child.endTimeUnixNano)).toBe(end);
      expect(ns(root.endTimeUnixNano)).toBe(end - 10_000_000_000n);
      expect(ns(root.startTimeUnixNano)).toBe(end - 30_000_000_000n);
      expect(ns(short.endTimeUnixNano)).toBe(end);
      expect(ns(short.startTimeUnixNano)).toBe(end - 2_000_000_000n);
    }
  });

  it('starts every trace at now − backdate with align: start, as before (a long trace then ends in the future)', () => {
    const { proto } = harness(traces, [['timestamp', { align: 'start' }]]).cycle(0);
    const [root, child] = spansOf(proto[0]);
    expect(ns(root.startTimeUnixNano)).toBe(NOW);
    expect(ns(child.endTimeUnixNano)).toBe(NOW + 30_000_000_000n);
  });

  it('keeps the spacing of log records and ends the template at now', () => {
    const logs = data('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [0, 5e9, 9e9].map((t) => ({ timeUnixNano: t, observedTimeUnixNano: t + 1 })) }] }] });
    const { proto } = harness(logs, [['timestamp', {}], ['jitter', { max: '0s' }]]).cycle(0);
    const times = proto[0].resourceLogs[0].scopeLogs[0].logRecords.map((r: any) => ns(r.timeUnixNano));
    expect(times).toEqual([NOW - 9_000_000_001n, NOW - 4_000_000_001n, NOW - 1n]);
  });
});
