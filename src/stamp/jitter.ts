/**
 * jitter: shifts whole traces (or single log records / data points) back in time by a
 * uniform amount in [0, max], so a replayed set does not arrive in lockstep. Drawn once
 * per trace, never per span: a child never leaves its parent.
 *
 * Shifting back rather than forward keeps jittered data from landing in the future.
 */
import { fmix32 } from './id-derive.js';

/**
 * Fills out[u] with a jitter in integer ns, uniform in [0, maxMs·1e6], for every unit.
 * Deterministic in (seed, worker, cycle, chunk) so runs can be reproduced; sfc32-style generator
 * seeded through fmix32: uniformity matters here, not secrecy.
 */
export function drawJitter(out: Float64Array, maxMs: number, seed: readonly [number, number], worker: number, cycle: number, chunk = 0): void {
  const maxNs = Math.round(maxMs * 1e6);
  if (maxNs <= 0) {
    out.fill(0);
    return;
  }
  let a = fmix32(seed[0] ^ 0x4a495454);
  let b = fmix32(seed[1] ^ a);
  let c = fmix32(worker ^ b ^ 0x9e3779b9);
  let d = fmix32(cycle ^ c);
  // Stream mode numbers units per chunk: each chunk draws its own sequence.
  if (chunk !== 0) d = fmix32(d ^ chunk);
  const span = maxNs + 1;
  // The first sfc32 outputs still resemble the seed: discard them.
  for (let u = -12; u < out.length; u++) {
    // sfc32 step
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    if (u >= 0) out[u] = Math.floor(((t >>> 0) / 4294967296) * span);
  }
}
