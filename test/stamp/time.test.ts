import { describe, expect, it } from 'vitest';
import { splitSec } from '../../src/otlp/wire/nanos.js';
import { baseTime, toHiLo } from '../../src/stamp/time.js';

describe('timestamp base arithmetic', () => {
  it('converts sec/nsec to exact fixed64 halves', () => {
    const out = new Uint32Array(2);
    for (const [sec, nsec] of [[1_700_000_000, 999_999_999], [4_000_000_000, 1], [0, 5]] as const) {
      toHiLo(sec, nsec, out, 0);
      expect(BigInt(out[1]!) * 2n ** 32n + BigInt(out[0]!)).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    }
  });

  it('splits now − backdate and relative offsets into sec + nsec', () => {
    expect(baseTime(1_700_000_000_123.5, 123)).toEqual({ sec: 1_700_000_000, nsec: 500_000 });
    expect(splitSec(2 ** 53 - 1)).toEqual({ sec: 9_007_199, nsec: 254_740_991 });
    expect(() => baseTime(1000, 2000)).toThrow(RangeError);
  });
});
