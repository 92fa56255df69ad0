import { WireError } from '../../errors.js';
import type { WireReader } from './reader.js';

/**
 * The last 64-bit value read, as two uint32 halves: module registers rather than an
 * object per value, since the OTLP/JSON writer reads one per number it writes.
 */
export let lo = 0;
export let hi = 0;

/** Reads a varint of up to 64 bits into lo/hi (WireReader.varint stops at 2^53; a negative int64 takes all 64 bits). */
export function varint64(r: WireReader): void {
  const buf = r.buf, end = r.end, start = r.pos;
  let p = start;
  lo = 0;
  hi = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (p >= end) throw new WireError('truncated varint', start);
    const b = buf[p++]!;
    const bits = b & 0x7f;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      hi = bits >>> 4;
    } else hi |= bits << (shift - 32);
    if (b < 0x80) {
      lo >>>= 0;
      hi >>>= 0;
      r.pos = p;
      return;
    }
  }
  throw new WireError('varint longer than 10 bytes', start);
}

/** Reads the little-endian fixed64 at byte `at` of `view` into lo/hi. */
export function readFixed64(view: DataView, at: number): void {
  lo = view.getUint32(at, true);
  hi = view.getUint32(at + 4, true);
}

/** lo/hi := -(lo/hi), two's complement: the magnitude of a negative int64. */
export function negate64(): void {
  lo = (~lo + 1) >>> 0;
  hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
}
