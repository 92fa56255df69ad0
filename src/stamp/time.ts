/**
 * timestamp: every replayed time = base + its relative offset, base = now − backdate
 * (− jitter). Times are ns since the epoch, beyond 2^53, so no JS number can hold one
 * exactly. Bases are kept as whole seconds + nanoseconds (each exact in a double), and
 * converted to the two uint32 halves a fixed64 is written as.
 */

import { TWO32 } from '../otlp/wire/write.js';
import { NS_PER_S, type SecNsec } from '../otlp/wire/nanos.js';

export { NS_PER_S } from '../otlp/wire/nanos.js';

/** `nowMs − backdateMs` (milliseconds, may be fractional) as seconds + nanoseconds. */
export function baseTime(nowMs: number, backdateMs: number): SecNsec {
  const ms = nowMs - backdateMs;
  if (!(ms >= 0)) throw new RangeError(`backdate ${backdateMs}ms reaches before 1970`);
  let sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (nsec >= NS_PER_S) {
    sec += 1;
    nsec -= NS_PER_S;
  }
  return { sec, nsec };
}

/**
 * Writes sec·1e9 + nsec as uint32 halves into out[at] (low) and out[at + 1] (high).
 * sec·1e9 = sec·1953125·2^9, and sec·1953125 stays below 2^53 until the year 2^53/1953125 s,
 * so every step is exact.
 */
export function toHiLo(sec: number, nsec: number, out: Uint32Array, at: number): void {
  const m = sec * 1953125;
  let hi = Math.floor(m / 8388608); // m / 2^23: the part above bit 32 once shifted by 9
  let lo = (m - hi * 8388608) * 512 + nsec;
  if (lo >= TWO32) {
    hi += Math.floor(lo / TWO32);
    lo %= TWO32;
  }
  out[at] = lo;
  out[at + 1] = hi;
}
