import { describe, expect, it } from 'vitest';
import { deriveSpanIds, deriveTraceIds, fmix32, idKeys, senderWord } from '../../src/stamp/id-derive.js';

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

  it('keys every replica and worker of a run apart: same seed, same originals, different ids', () => {
    const n = 5000;
    const orig = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) orig[i * 4] = i;
    const seen = new Set<string>();
    const keys = new Set<string>();
    for (const replica of [0, 1, 2, 49]) {
      for (const worker of [0, 1]) {
        const key = idKeys([5, 6], senderWord(replica, worker), 0).trace;
        keys.add(key.join(':'));
        const out = new Uint32Array(orig.length);
        deriveTraceIds(key, orig, out);
        for (let i = 0; i < n; i++) seen.add(out.subarray(i * 4, i * 4 + 4).join(':'));
      }
    }
    expect(keys.size).toBe(8);
    expect(seen.size).toBe(8 * n);
  });

  it('packs replica and worker into one word without overlap, and refuses what does not fit', () => {
    expect(senderWord(0, 3)).toBe(3);
    expect(senderWord(1, 0)).toBe(0x10000);
    expect(senderWord(65_535, 65_535)).toBe(0xffffffff);
    expect(() => senderWord(65_536, 0)).toThrow(RangeError);
    expect(() => senderWord(0, 65_536)).toThrow(RangeError);
  });
});
