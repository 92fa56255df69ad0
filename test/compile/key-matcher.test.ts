import { describe, expect, it } from 'vitest';
import { KeyMatcher, MAX_MATCH } from '../../src/compile/key-matcher.js';

/** Keys of `text`'s bytes, with the positions in `sites` given keys of their own (256 + position). */
function keysOf(text: string, sites: number[] = []): Uint32Array {
  const keys = Uint32Array.from(Buffer.from(text, 'latin1'));
  for (const p of sites) keys[p] = 256 + p;
  return keys;
}

function matcherOver(keys: Uint32Array, upTo: number): KeyMatcher {
  const m = new KeyMatcher(keys);
  m.insertRange(0, upTo);
  return m;
}

describe('KeyMatcher', () => {
  it('finds the longest earlier match and its distance', () => {
    const text = 'abcdefXabcdYabcdefgZabcdefg';
    const m = matcherOver(keysOf(text), 20);
    expect(m.longest(20, 16, 258)).toBe(7);
    expect(m.distance).toBe(8);
  });

  it('matches keys, not bytes: a byte with a key of its own stops a match, as a site among static bytes must', () => {
    const text = 'abcdefgh--abcdefgh';
    // The second run's 'e' is a site: it holds 'e' only in the template.
    const m = matcherOver(keysOf(text, [14]), 10);
    expect(m.longest(10, 16, 258)).toBe(4);
    expect(m.longest(15, 16, 258)).toBe(3);
  });

  it('stops at `nice` and at the end of the input, and finds nothing shorter than 3', () => {
    const long = 'x'.repeat(400);
    const m = matcherOver(keysOf(long), 1);
    expect(m.longest(1, 16, 258)).toBe(MAX_MATCH);
    expect(m.longest(1, 16, 10)).toBeGreaterThanOrEqual(10);
    const short = matcherOver(keysOf('abXab'), 3);
    expect(short.longest(3, 16, 258)).toBe(0);
  });
});
