import { describe, expect, it } from 'vitest';
import {
  LATENCY_BOUNDS_MS, LatencyHistogram, addLatency, countOf, emptyLatency, latencyQuantile, latencySince,
} from '../../src/worker/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('counts each request into the first bucket whose bound holds it, from 1 ms to 30 s and above', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.2, 1, 1.01, 29_999, 30_000, 45_000]) h.record(ms);
    const s = h.snapshot();
    expect(s.counts).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(s.counts[0]).toBe(2);
    expect(s.counts[1]).toBe(1);
    expect(s.counts[LATENCY_BOUNDS_MS.length - 1]).toBe(2);
    expect(s.counts[LATENCY_BOUNDS_MS.length]).toBe(1);
    expect(s.sumMs).toBeCloseTo(0.2 + 1 + 1.01 + 29_999 + 30_000 + 45_000, 6);
    expect(countOf(s)).toBe(6);
  });

  it('interpolates p50 and p99 inside a bucket, as histogram_quantile does', () => {
    const h = new LatencyHistogram();
    // 98 requests in (10, 15] ms, 2 in (150, 200] ms.
    for (let i = 0; i < 98; i++) h.record(12);
    h.record(160);
    h.record(190);
    const s = h.snapshot();
    expect(latencyQuantile(s, 0.5)).toBeCloseTo(10 + (5 * 50) / 98, 6);
    expect(latencyQuantile(s, 0.99)).toBeCloseTo(150 + (50 * 1) / 2, 6);
    expect(latencyQuantile(emptyLatency(), 0.5)).toBeNull();
  });

  it('says "30 s" for what took longer than its last bucket', () => {
    const h = new LatencyHistogram();
    h.record(60_000);
    expect(latencyQuantile(h.snapshot(), 0.99)).toBe(30_000);
  });

  it('adds workers\' counts and tells what was recorded between two snapshots', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(3);
    b.record(3);
    b.record(700);
    const before = addLatency(addLatency(emptyLatency(), a.snapshot()), b.snapshot());
    expect(countOf(before)).toBe(3);
    a.record(2000);
    const after = addLatency(addLatency(emptyLatency(), a.snapshot()), b.snapshot());
    const window = latencySince(after, before);
    expect(countOf(window)).toBe(1);
    expect(latencyQuantile(window, 0.5)).toBeGreaterThan(1500);
    // Counts that went down mean a new start: the window is what the new source counted.
    expect(latencySince(a.snapshot(), after)).toEqual(a.snapshot());
  });
});
