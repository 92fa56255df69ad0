import { describe, expect, it } from 'vitest';
import { CounterTracker } from '../../src/telemetry/counter-tracker.js';

describe('CounterTracker', () => {
  it('returns growth since the last read and keeps a total', () => {
    const t = new CounterTracker();
    expect(t.observe('a', 10)).toBe(10);
    expect(t.observe('a', 25)).toBe(15);
    expect(t.observe('a', 25)).toBe(0);
    expect(t.total('a')).toBe(25);
    expect(t.total('never')).toBe(0);
  });

  it('treats a lower value as a restart from zero, so the total never goes back', () => {
    const t = new CounterTracker();
    t.observe('a', 100);
    expect(t.observe('a', 30)).toBe(30);
    expect(t.observe('a', 50)).toBe(20);
    expect(t.total('a')).toBe(150);
  });

  it('keeps keys apart', () => {
    const t = new CounterTracker();
    t.observe('a', 5);
    t.observe('b', 7);
    expect([t.total('a'), t.total('b')]).toEqual([5, 7]);
  });
});
