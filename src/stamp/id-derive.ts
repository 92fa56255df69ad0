/**
 * id_regen: fresh trace and span ids every replay cycle.
 *
 * A new id is a keyed permutation of the ORIGINAL id: new = P_key(orig), with the key
 * derived from (seed, sender, cycle), where sender = replica·2^16 + worker (senderWord). So
 * - any worker that knows a key maps an original id to the same new id: a logs worker
 *   following a traces cycle that was sent names its spans (sent-traces.ts);
 * - within one (replica, worker, cycle), distinct original ids never collide (P is a bijection);
 * - across replicas, workers and cycles the key differs (the key schedule is itself a
 *   bijection of its four words, and the sender word is distinct for every replica and
 *   worker), so ids differ; a collision would need orig_a ^ orig_b to equal the xor of two
 *   pseudo-random 128-bit keys.
 * Ids need uniqueness for load, not secrecy: murmur3's fmix32 is enough and costs a few
 * multiplies per word. Computed once per id group per cycle, never per site.
 */

/** murmur3 finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Domain separation so a trace id and a span id with equal bytes get unrelated new ids. */
const TRACE_DOMAIN = 0x54524345;
const SPAN_DOMAIN = 0x5350414e;

export interface IdKeys {
  /** 4 words keying the 128-bit trace id permutation. */
  trace: Uint32Array;
  /** 2 words keying the 64-bit span id permutation. */
  span: Uint32Array;
}

/** Workers per pipeline and replicas per run both stay below 2^16 (config limits), so the word is distinct for every pair. */
export function senderWord(replica: number, worker: number): number {
  if (!Number.isInteger(worker) || worker < 0 || worker >= 0x10000) throw new RangeError(`worker must be an integer in [0, 65536), got ${worker}`);
  if (!Number.isInteger(replica) || replica < 0 || replica >= 0x10000) throw new RangeError(`replica must be an integer in [0, 65536), got ${replica}`);
  return (replica * 0x10000 + worker) >>> 0;
}

/**
 * Keys for one (seed, sender, cycle); `worker` is the sender word (senderWord). Each step xors one word with a function of the
 * others and applies fmix32, so the schedule is invertible: distinct inputs, distinct keys.
 */
export function idKeys(seed: readonly [number, number], worker: number, cycle: number): IdKeys {
  const trace = new Uint32Array([seed[0] ^ TRACE_DOMAIN, seed[1], worker, cycle]);
  mix4(trace);
  const span = new Uint32Array([seed[0] ^ SPAN_DOMAIN, seed[1], worker, cycle]);
  mix4(span);
  return { trace, span: span.subarray(0, 2) };
}

function mix4(w: Uint32Array): void {
  for (let round = 0; round < 2; round++) {
    w[0] = fmix32(w[0]! ^ w[3]! ^ 0x9e3779b9);
    w[1] = fmix32(w[1]! ^ w[0]!);
    w[2] = fmix32(w[2]! ^ w[1]!);
    w[3] = fmix32(w[3]! ^ w[2]!);
  }
}

/**
 * New trace ids for every group: `orig` and `out` hold 4 words per group (little-endian
 * words of the 16 id bytes). Never all zero.
 */
export function deriveTraceIds(key: Uint32Array, orig: Uint32Array, out: Uint32Array): void {
  const k0 = key[0]!, k1 = key[1]!, k2 = key[2]!, k3 = key[3]!;
  for (let i = 0; i < orig.length; i += 4) {
    // Two chained rounds: every output word depends on every input word.
    let a = fmix32(orig[i]! ^ k0);
    let b = fmix32(orig[i + 1]! ^ k1 ^ a);
    let c = fmix32(orig[i + 2]! ^ k2 ^ b);
    let d = fmix32(orig[i + 3]! ^ k3 ^ c);
    a = fmix32(a ^ d ^ k1);
    b = fmix32(b ^ a);
    c = fmix32(c ^ b);
    d = fmix32(d ^ c);
    out[i] = a;
    out[i + 1] = b;
    out[i + 2] = c;
    out[i + 3] = (a | b | c | d) === 0 ? 1 : d;
  }
}

/** New span ids for every group: 2 words per group. Never all zero. */
export function deriveSpanIds(key: Uint32Array, orig: Uint32Array, out: Uint32Array): void {
  const k0 = key[0]!, k1 = key[1]!;
  for (let i = 0; i < orig.length; i += 2) {
    let a = fmix32(orig[i]! ^ k0);
    let b = fmix32(orig[i + 1]! ^ k1 ^ a);
    a = fmix32(a ^ b ^ k1);
    b = fmix32(b ^ a);
    out[i] = a;
    out[i + 1] = (a | b) === 0 ? 1 : b;
  }
}
