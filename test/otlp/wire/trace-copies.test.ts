import { describe, expect, it } from 'vitest';
import { TraceCopies } from '../../../src/otlp/wire/trace-copies.js';

/** A buffer holding a 16-byte trace id (byte 15 = t) and an 8-byte span id (byte 7 = s; 0 = unset). */
function span(t: number, s: number): Uint8Array {
  const b = new Uint8Array(24);
  b[15] = t;
  b[23] = s;
  return b;
}

describe('TraceCopies', () => {
  it('numbers each repeat of a span id in its trace as a later copy, one time unit per (trace, copy)', () => {
    const copies = new TraceCopies();
    const seen = (t: number, s: number) => {
      const unit = copies.unit(span(t, s), 0, 16);
      return [unit, copies.copy, copies.added];
    };
    expect(seen(1, 1)).toEqual([0, 0, true]);
    expect(seen(1, 2)).toEqual([0, 0, false]);
    expect(seen(2, 1)).toEqual([1, 0, true]); // the same span id in another trace is no repeat
    expect(seen(1, 1)).toEqual([2, 1, true]); // the second recording of trace 1 starts
    expect(seen(1, 2)).toEqual([2, 1, false]);
    expect(seen(1, 3)).toEqual([0, 0, false]); // first seen now: belongs to copy 0
    expect(seen(1, 1)).toEqual([3, 2, true]);
    expect(copies.repeats).toBe(3);
    expect(copies.size).toBe(4);
  });

  it('puts spans without a span id (absent or all zero) in copy 0', () => {
    const copies = new TraceCopies();
    expect(copies.unit(span(1, 0), 0, 16)).toBe(0);
    expect(copies.unit(span(1, 0), 0, 16)).toBe(0);
    expect(copies.unit(span(1, 9), 0, -1)).toBe(0);
    expect(copies.repeats).toBe(0);
  });

  it('counts a span id interned first as a parent as that span\'s first occurrence, and reports the ids\' interned indexes', () => {
    const copies = new TraceCopies();
    const parentOfLater = span(1, 7);
    expect(copies.parent(parentOfLater, 16)).toBe(0); // a child names span 7 before span 7 comes
    expect(copies.unit(span(1, 3), 0, 16)).toBe(0);
    expect([copies.trace, copies.spanId, copies.copy]).toEqual([0, 1, 0]);
    expect(copies.unit(span(1, 7), 0, 16)).toBe(0);
    expect([copies.trace, copies.spanId, copies.copy, copies.added]).toEqual([0, 0, 0, false]);
    expect(copies.unit(span(1, 7), 0, 16)).toBe(1); // now a repeat: a later copy
    expect(copies.repeats).toBe(1);
  });

  it('counts repeats per trace for a span id that occurs in several traces', () => {
    const copies = new TraceCopies();
    const seen = (t: number, s: number) => [copies.unit(span(t, s), 0, 16), copies.copy];
    expect(seen(1, 5)).toEqual([0, 0]);
    expect(seen(2, 5)).toEqual([1, 0]);
    expect(seen(2, 5)).toEqual([2, 1]);
    expect(seen(1, 5)).toEqual([3, 1]);
    expect(seen(2, 5)).toEqual([4, 2]);
    expect(copies.repeats).toBe(3);
  });
});
