/** Nanosecond times as whole seconds + nanoseconds: each part exact in a double, unlike ns since the epoch (> 2^53). */

export const NS_PER_S = 1e9;

/** Time as whole seconds and nanoseconds (0 ≤ nsec < 1e9). */
export interface SecNsec {
  sec: number;
  nsec: number;
}

/** Splits a relative offset (integer ns < 2^53) into seconds + nanoseconds. */
export function splitSec(ns: number): SecNsec {
  let sec = Math.floor(ns / NS_PER_S);
  let nsec = ns - sec * NS_PER_S;
  // ns / 1e9 rounds; fix the rare off-by-one so 0 ≤ nsec < 1e9.
  if (nsec < 0) {
    sec -= 1;
    nsec += NS_PER_S;
  } else if (nsec >= NS_PER_S) {
    sec += 1;
    nsec -= NS_PER_S;
  }
  return { sec, nsec };
}
