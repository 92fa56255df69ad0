import { describe, expect, it } from 'vitest';
import { deriveSpanIds, deriveTraceIds, fmix32, idKeys } from '../../src/stamp/id-derive.js';

describe('id_regen derivation', () => {
  it('is a bijection per key: sequential originals never collide, and differ per worker and cycle', () => {
    const n = 20_000;
    const orig = new Uint32Array(n * 2);
    for (let i = 0; i < n; i++) orig[i * 2 + 1] = i; // ids differing in one word only
    const seen = new Set<string>();
    for (const [worker, cycle] of [[0, 0], [0, 1], [1, 0]]) {
      const out = new Uint32Array(orig.length);
      deriveSpanIds(idKeys([1, 2], worker!, cycle!).span, orig, out);
      for (let i = 0; i < n; i++) seen.add(`${out[i * 2]}:${out[i * 2 + 1]}`);
    }
    expect(seen.size).toBe(3 * n);
  });

  it('spreads a one-bit change over every word of a trace id, and is never all zero', () => {
    const key = idKeys([7, 8], 0, 0).trace;
    const out = new Uint32Array(8);
    deriveTraceIds(key, Uint32Array.of(0, 0, 0, 0, 0, 0, 0, 1), out);
    for (let w = 0; w < 4; w++) expect(out[w]).not.toBe(out[w + 4]);
    expect([...out].some((w) => w !== 0)).toBe(true);
    expect(fmix32(0)).toBe(0); // why the derivation mixes the key in before fmix
  });
});
