/**
 * DEFLATE (RFC 1951) code tables and Huffman code construction for the gzip image
 * writer (gzip-image.ts). Only what a dynamic-Huffman block needs.
 */

/** Length symbol (257..285), its extra bits and their base, for match lengths 3..258. */
export const LENGTH_SYMBOL = new Uint16Array(259);
export const LENGTH_EXTRA = new Uint8Array(259);
export const LENGTH_BASE = new Uint16Array(259);
const LEN_BASES = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
for (let s = 0; s < LEN_BASES.length; s++) {
  const end = s + 1 < LEN_BASES.length ? LEN_BASES[s + 1]! : 259;
  // 258 has its own symbol (285) although 284's range would reach it.
  for (let len = LEN_BASES[s]!; len < end && len <= 258; len++) {
    if (len === 258 && s !== 28) continue;
    LENGTH_SYMBOL[len] = 257 + s;
    LENGTH_EXTRA[len] = LEN_EXTRA[s]!;
    LENGTH_BASE[len] = LEN_BASES[s]!;
  }
}

const DIST_BASES = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
export const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
export { DIST_BASES };

/** The distance code (0..29) of a distance 1..32768. */
export function distanceCode(d: number): number {
  let lo = 0;
  let hi = 29;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (DIST_BASES[mid]! <= d) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The order in which code-length code lengths are written (RFC 1951 3.2.7). */
export const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * Huffman code lengths for `freqs`, none longer than `limit`; symbols of frequency 0 get
 * length 0. When the optimal code is too deep, frequencies are halved (keeping every used
 * symbol at least 1) and the code rebuilt: a little worse than package-merge, and simple.
 * Callers give at least two used symbols, so the code is complete.
 */
export function codeLengths(freqs: ArrayLike<number>, limit: number): Uint8Array {
  const n = freqs.length;
  let f = Array.from(freqs);
  for (;;) {
    const lengths = huffmanLengths(f);
    let max = 0;
    for (let i = 0; i < n; i++) if (lengths[i]! > max) max = lengths[i]!;
    if (max <= limit) return lengths;
    f = f.map((x) => (x === 0 ? 0 : Math.max(1, x >> 1)));
  }
}

function huffmanLengths(freqs: number[]): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const used = freqs.flatMap((f, i) => (f > 0 ? [i] : []));
  if (used.length === 1) lengths[used[0]!] = 1;
  if (used.length < 2) return lengths;
  // Nodes: leaves 0..n-1, internal nodes after; a sorted queue of leaves and a queue of merged nodes.
  const weight: number[] = [...freqs];
  const parent: number[] = new Array<number>(n).fill(-1);
  const leaves = used.sort((a, b) => freqs[a]! - freqs[b]! || a - b);
  const merged: number[] = [];
  let li = 0;
  let mi = 0;
  const take = (): number => {
    if (mi >= merged.length || (li < leaves.length && weight[leaves[li]!]! <= weight[merged[mi]!]!)) return leaves[li++]!;
    return merged[mi++]!;
  };
  for (let k = 0; k < used.length - 1; k++) {
    const a = take();
    const b = take();
    const node = weight.length;
    weight.push(weight[a]! + weight[b]!);
    parent.push(-1);
    parent[a] = node;
    parent[b] = node;
    merged.push(node);
  }
  const depth = new Array<number>(weight.length).fill(0);
  for (let node = weight.length - 2; node >= 0; node--) if (parent[node]! >= 0) depth[node] = depth[parent[node]!]! + 1;
  for (const s of used) lengths[s] = depth[s]!;
  return lengths;
}

/** Canonical codes (RFC 1951 3.2.2) for `lengths`, bit-reversed so they can be written LSB first. */
export function reversedCodes(lengths: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const l of lengths) if (l > 0) count[l]!++;
  const next = new Uint16Array(16);
  let code = 0;
  for (let bits = 1; bits < 16; bits++) {
    code = (code + count[bits - 1]!) << 1;
    next[bits] = code;
  }
  const out = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l > 0) out[s] = reverse(next[l]!++, l);
  }
  return out;
}

export function reverse(code: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}
