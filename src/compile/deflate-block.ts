/**
 * One dynamic-Huffman DEFLATE block (RFC 1951 3.2.7) of a gzip image (gzip-image.ts), in
 * which every literal a site may hold gets a code of the same length, so that a send can
 * write its own site bytes at fixed bit offsets.
 */
import type { BitWriter } from './bit-writer.js';
import { CL_ORDER, codeLengths, distanceCode, DIST_BASES, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA, LENGTH_SYMBOL, reversedCodes } from './deflate-codes.js';

/** In GzipImage.codes: this byte value has no fixed-length code (a send holding it cannot use the image). */
export const NO_CODE = 0xffff;
/** Symbols per block: blocks re-fit their codes; their headers cost ~100 bytes each. A site run cut by a block end is two runs. */
export const BLOCK_SYMBOLS = 1 << 16;

/** One block's symbols: a match has its length in `lens` and distance in `vals`; a literal has length 0. */
export class BlockSymbols {
  lens = new Uint16Array(BLOCK_SYMBOLS * 2);
  vals = new Uint16Array(BLOCK_SYMBOLS * 2);
  count = 0;
  /** Request offset of the block's first byte. */
  start = 0;
  /** Whether a byte value is in the site alphabet, and the length of those values' codes. */
  readonly inAlphabet = new Uint8Array(256);
  readonly literalBits: number;

  constructor(alphabet: Uint8Array) {
    const size = new Set(alphabet).size;
    if (size !== alphabet.length || size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`gzip image: a site alphabet of ${alphabet.length} values (a power of two, 2..256, without repeats)`);
    for (const v of alphabet) this.inAlphabet[v] = 1;
    // The alphabet takes half the code space: 2^(bits-1) = size.
    this.literalBits = Math.log2(size) + 1;
  }

  literal(v: number): void {
    this.#push(0, v);
  }

  match(len: number, dist: number): void {
    this.#push(len, dist);
  }

  /** A block ends only between sites, so it may run past BLOCK_SYMBOLS. */
  #push(len: number, val: number): void {
    if (this.count === this.lens.length) {
      const lens = new Uint16Array(this.count * 2);
      const vals = new Uint16Array(this.count * 2);
      lens.set(this.lens);
      vals.set(this.vals);
      this.lens = lens;
      this.vals = vals;
    }
    this.lens[this.count] = len;
    this.vals[this.count++] = val;
  }

  /** Writes the block (dynamic Huffman) and records where its site literals are and their codes. */
  write(out: BitWriter, last: boolean, site: Uint8Array, runs: number[], codes: number[]): void {
    const { lens, vals, count, inAlphabet, literalBits } = this;
    // Symbols outside the site alphabet (other literals, end-of-block, lengths) share the
    // other half of the code space: a code over them, one bit longer.
    const other = new Uint32Array(286);
    const distFreq = new Uint32Array(30);
    other[256] = 1;
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      if (len === 0) {
        if (!inAlphabet[vals[i]!]) other[vals[i]!]!++;
        continue;
      }
      other[LENGTH_SYMBOL[len]!]!++;
      distFreq[distanceCode(vals[i]!)]!++;
    }
    // Two used symbols at least, so every code is complete (as every inflater accepts).
    if (other.filter((f) => f > 0).length < 2) other[257] = Math.max(1, other[257]!);
    for (let d = 0; distFreq.filter((f) => f > 0).length < 2; d++) distFreq[d] = Math.max(1, distFreq[d]!);
    const otherLengths = codeLengths(other, 14);
    const litLengths = new Uint8Array(286);
    for (let sym = 0; sym < 286; sym++) {
      if (sym < 256 && inAlphabet[sym]) litLengths[sym] = literalBits;
      else if (otherLengths[sym]! > 0) litLengths[sym] = otherLengths[sym]! + 1;
    }
    const distLengths = codeLengths(distFreq, 15);
    let nLit = 286;
    while (litLengths[nLit - 1] === 0) nLit--;
    let nDist = 30;
    while (distLengths[nDist - 1] === 0) nDist--;
    const litCodes = reversedCodes(litLengths);
    const distCodes = reversedCodes(distLengths);

    out.bits(last ? 1 : 0, 1);
    out.bits(2, 2);
    writeCodeLengths(out, [...litLengths.subarray(0, nLit), ...distLengths.subarray(0, nDist)], nLit, nDist);

    const table = codes.length;
    for (let v = 0; v < 256; v++) codes.push(inAlphabet[v] ? litCodes[v]! : NO_CODE);
    let at = this.start;
    let runStart = -1;
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      if (len === 0) {
        const v = vals[i]!;
        if (site[at]) {
          if (runStart < 0 || at !== runStart + runs[runs.length - 3]!) {
            runs.push(at, 0, out.position(), table);
            runStart = at;
          }
          runs[runs.length - 3]!++;
          out.bits(0, literalBits);
        } else {
          out.bits(litCodes[v]!, litLengths[v]!);
        }
        at++;
        continue;
      }
      const sym = LENGTH_SYMBOL[len]!;
      out.bits(litCodes[sym]!, litLengths[sym]!);
      if (LENGTH_EXTRA[len]! > 0) out.bits(len - LENGTH_BASE[len]!, LENGTH_EXTRA[len]!);
      const dist = vals[i]!;
      const dc = distanceCode(dist);
      out.bits(distCodes[dc]!, distLengths[dc]!);
      if (DIST_EXTRA[dc]! > 0) out.bits(dist - DIST_BASES[dc]!, DIST_EXTRA[dc]!);
      at += len;
    }
    out.bits(litCodes[256]!, litLengths[256]!);
    this.count = 0;
  }
}

/** HLIT, HDIST, HCLEN, the code-length code and the run-length coded lengths (RFC 1951 3.2.7). */
function writeCodeLengths(out: BitWriter, lengths: number[], nLit: number, nDist: number): void {
  const syms: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < lengths.length;) {
    const v = lengths[i]!;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === v) run++;
    i += run;
    if (v === 0) {
      while (run >= 11) {
        const r = Math.min(run, 138);
        syms.push(18);
        extra.push(r - 11);
        run -= r;
      }
      if (run >= 3) {
        syms.push(17);
        extra.push(run - 3);
        run = 0;
      }
    } else {
      syms.push(v);
      extra.push(0);
      run--;
      while (run >= 3) {
        const r = Math.min(run, 6);
        syms.push(16);
        extra.push(r - 3);
        run -= r;
      }
    }
    for (; run > 0; run--) {
      syms.push(v);
      extra.push(0);
    }
  }
  const freq = new Uint32Array(19);
  for (const s of syms) freq[s]!++;
  for (let s = 0; freq.filter((f) => f > 0).length < 2; s++) freq[s] = Math.max(1, freq[s]!);
  const clLengths = codeLengths(freq, 7);
  const clCodes = reversedCodes(clLengths);
  let nCl = 19;
  while (nCl > 4 && clLengths[CL_ORDER[nCl - 1]!] === 0) nCl--;
  out.bits(nLit - 257, 5);
  out.bits(nDist - 1, 5);
  out.bits(nCl - 4, 4);
  for (let i = 0; i < nCl; i++) out.bits(clLengths[CL_ORDER[i]!]!, 3);
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i]!;
    out.bits(clCodes[s]!, clLengths[s]!);
    if (s === 16) out.bits(extra[i]!, 2);
    else if (s === 17) out.bits(extra[i]!, 3);
    else if (s === 18) out.bits(extra[i]!, 7);
  }
}

