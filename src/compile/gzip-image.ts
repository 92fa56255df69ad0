/**
 * Stamped gzip: a frame's gzip member compressed once, at compile time, into which each
 * send writes only its own ids, times and digits, as request bytes are stamped
 * ("compile once, stamp many", applied to the compressed form).
 *
 * A deflate stream can be patched in place when two things hold, and this writer (an
 * LZ77 matcher and dynamic-Huffman block writer of its own; zlib offers neither control)
 * makes both hold:
 * - a site byte is a literal, or a match copies it from an earlier site that holds the
 *   same value in every send (a trace id repeated in each of its spans); no match copies
 *   a site into static bytes or the other way round, so a site's literals are the only
 *   bits that depend on what is stamped;
 * - every literal a site may hold has a code of the same length: its alphabet takes half
 *   of the code space, everything else shares the other half (protobuf: all 256 byte
 *   values at 9 bits; OTLP/JSON: the 16 lowercase hex digits at 5 bits, which cover the
 *   decimal digits of times), so a site's literals sit at bit offsets that do not depend
 *   on the values written there.
 * What a send still computes is the CRC-32 of the stamped request (native zlib.crc32)
 * for the trailer.
 *
 * The price against zlib at the same effort is the literal width (protobuf: 9 bits where
 * a random id byte needs 8, and text literals 5–8) and matches stopping at times, whose
 * low bytes differ in every span.
 */
import type { Encoding } from '../otlp/signals.js';
import { TIME_STRIDE, type CompiledTemplate, type EncodedFrame } from './frame.js';
import { CL_ORDER, codeLengths, distanceCode, DIST_BASES, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA, LENGTH_SYMBOL, reversedCodes } from './deflate-codes.js';

export interface GzipImage {
  /** The gzip member with every site literal's bits zero; CRC-32 and ISIZE (its last 8 bytes) are written per send. */
  bytes: Buffer;
  /**
   * Per run of consecutive site literals, 4 words: its offset in the request, its length,
   * the bit offset of its first literal in `bytes`, and where its block's codes start in
   * `codes`.
   */
  runs: Uint32Array;
  /** Per block, 256 codes (bit-reversed, `literalBits` long) by byte value; NO_CODE for a value outside the site alphabet. */
  codes: Uint16Array;
  literalBits: number;
  /** Length of the request this member decompresses to. */
  rawLength: number;
  /**
   * Offsets of byte ranges compressed as if they always equal the first one (SiteKeys.shared):
   * a send where they differ cannot use the image.
   */
  shared: Uint32Array;
  sharedWidth: number;
}

/** What buildGzipImage compresses against besides the bytes. */
export interface SiteKeys {
  /**
   * Per byte, what it holds in every send: a static byte is its value (0..255); a site
   * byte is 256 + an id shared by exactly the site bytes that hold the same value (the
   * same byte of the same id group, of the same digit field).
   */
  keys: Uint32Array;
  /** Site ranges given one key although only nearly always equal: checked per send (GzipImage.shared). */
  shared: Uint32Array;
  sharedWidth: number;
  /** The byte values a site may hold, a power of two of them (2..256). */
  alphabet: Uint8Array;
}

/** In GzipImage.codes: this byte value has no fixed-length code (a send holding it cannot use the image). */
export const NO_CODE = 0xffff;
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const LOWER_HEX = Buffer.from('0123456789abcdef', 'latin1');

/** zlib-like effort per level 1..9: hash chain length, lazy matching, length that ends a search. */
const EFFORT: readonly { chain: number; lazy: boolean; nice: number }[] = [
  { chain: 4, lazy: false, nice: 8 },
  { chain: 8, lazy: false, nice: 16 },
  { chain: 32, lazy: false, nice: 32 },
  { chain: 16, lazy: true, nice: 16 },
  { chain: 32, lazy: true, nice: 32 },
  { chain: 128, lazy: true, nice: 128 },
  { chain: 256, lazy: true, nice: 128 },
  { chain: 1024, lazy: true, nice: 258 },
  { chain: 4096, lazy: true, nice: 258 },
];

const WINDOW = 32768;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 16;
/** Symbols per block: blocks re-fit their codes; their headers cost ~100 bytes each. A site run cut by a block end is two runs. */
const BLOCK_SYMBOLS = 1 << 16;
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * Compresses `raw` into a GzipImage. Matches compare keys, not bytes, so a match may copy
 * a site from an earlier site that always equals it, the way zlib copies a trace id
 * repeated in every span. `level` is 1..9 as for zlib.
 */
export function buildGzipImage(raw: Uint8Array, sites: SiteKeys, level: number): GzipImage {
  const { keys } = sites;
  const n = raw.length;
  if (keys.length !== n) throw new RangeError(`buildGzipImage: ${keys.length} keys for ${n} bytes`);
  const site = new Uint8Array(n);
  for (let p = 0; p < n; p++) site[p] = keys[p]! > 255 ? 1 : 0;

  const effort = EFFORT[Math.min(9, Math.max(1, level)) - 1]!;
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(n);
  // Each position's hash of its 3 keys, once: it is read when inserting and when searching.
  const hash = new Uint16Array(n);
  for (let p = 0; p + MIN_MATCH <= n; p++) {
    hash[p] = Math.imul(Math.imul(keys[p]!, 0x01000193) ^ Math.imul(keys[p + 1]!, 0x9e3779b1) ^ keys[p + 2]!, 0x85ebca6b) >>> (32 - HASH_BITS);
  }
  const insert = (p: number): void => {
    if (p + MIN_MATCH > n) return;
    const h = hash[p]!;
    prev[p] = head[h]!;
    head[h] = p;
  };
  let matchDist = 0;
  /** Longest match for p among earlier positions (0 if none of at least MIN_MATCH). */
  const longest = (p: number): number => {
    const max = Math.min(MAX_MATCH, n - p);
    if (max < MIN_MATCH) return 0;
    let best = MIN_MATCH - 1;
    let chain = effort.chain;
    for (let q = head[hash[p]!]!; q >= 0 && p - q <= WINDOW && chain-- > 0; q = prev[q]!) {
      if (keys[q + best] !== keys[p + best]) continue;
      let len = 0;
      while (len < max && keys[q + len] === keys[p + len]) len++;
      if (len > best) {
        best = len;
        matchDist = p - q;
        if (len >= effort.nice || len === max) break;
      }
    }
    return best >= MIN_MATCH ? best : 0;
  };

  const out = new BitWriter(Math.max(1024, n >> 2));
  out.bytes(GZIP_HEADER);
  const runs: number[] = [];
  const codes: number[] = [];
  const block = new BlockSymbols(sites.alphabet);
  let p = 0;
  while (p < n) {
    if (block.count >= BLOCK_SYMBOLS) {
      block.write(out, false, site, runs, codes);
      block.start = p;
    }
    let len = longest(p);
    let dist = matchDist;
    insert(p);
    if (len > 0 && effort.lazy && len < effort.nice) {
      // One step of lazy matching: a longer match one byte on wins over this one.
      const next = longest(p + 1);
      if (next > len) {
        block.literal(raw[p]!);
        p++;
        len = next;
        dist = matchDist;
        insert(p);
      }
    }
    if (len === 0) {
      block.literal(raw[p]!);
      p++;
      continue;
    }
    block.match(len, dist);
    // Every position is indexed, inside long matches too: skipping them (as zlib's fast
    // levels do) costs a tenth of the ratio here, where repeats are whole spans.
    const end = Math.min(p + len, n - MIN_MATCH + 1);
    for (let q = p + 1; q < end; q++) {
      const h = hash[q]!;
      prev[q] = head[h]!;
      head[h] = q;
    }
    p += len;
  }
  block.write(out, true, site, runs, codes);
  out.alignToByte();
  out.bytes(Buffer.alloc(8));
  const bytes = out.finish();
  bytes.writeUInt32LE(n >>> 0, bytes.length - 4);
  return {
    bytes, runs: Uint32Array.from(runs), codes: Uint16Array.from(codes), literalBits: block.literalBits, rawLength: n,
    shared: sites.shared, sharedWidth: sites.sharedWidth,
  };
}

/** One block's symbols: a match has its length in `lens` and distance in `vals`; a literal has length 0. */
class BlockSymbols {
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

/** LSB-first bit output into a growing buffer. */
class BitWriter {
  #buf: Buffer;
  #len = 0;
  #acc = 0;
  #nacc = 0;

  constructor(initial: number) {
    this.#buf = Buffer.alloc(initial);
  }

  /** Bits written so far. */
  position(): number {
    return this.#len * 8 + this.#nacc;
  }

  /** Writes the low `n` (≤ 16) bits of `v`. */
  bits(v: number, n: number): void {
    this.#acc |= v << this.#nacc;
    this.#nacc += n;
    while (this.#nacc >= 8) {
      this.#byte(this.#acc & 0xff);
      this.#acc >>>= 8;
      this.#nacc -= 8;
    }
  }

  alignToByte(): void {
    if (this.#nacc > 0) this.bits(0, 8 - this.#nacc);
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.bits(x, 8);
  }

  #byte(x: number): void {
    if (this.#len === this.#buf.length) {
      const bigger = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    this.#buf[this.#len++] = x;
  }

  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

/**
 * Site widths per encoding: ids as bytes or hex, times as fixed64 or 19 digits (see
 * stamper.ts). `top`: where a time's leading bytes are, which change only every 2^40 ns
 * (18 min; fixed64's top 3 bytes) or 10^4 s (the first 6 digits): all times of a frame
 * nearly always share them.
 */
const WIDTHS = {
  proto: { trace: 16, span: 8, time: 8, top: 5, topWidth: 3 },
  json: { trace: 32, span: 16, time: 19, top: 0, topWidth: 6 },
} as const;

/**
 * The keys of buildGzipImage for a frame: what a Stamper writes there (the sites the
 * template was compiled to patch). Ids of one group and digits of one field are the same
 * bytes everywhere in a send; each time byte is its own, except the leading ones, which
 * are keyed as equal in every time of the frame and checked per send.
 */
export function siteKeys(compiled: CompiledTemplate, frame: EncodedFrame, encoding: Encoding): SiteKeys {
  const w = WIDTHS[encoding];
  const keys = new Uint32Array(frame.bytes.length);
  keys.set(frame.bytes);
  let next = 256;
  const mark = (at: number, width: number, id: number): void => {
    for (let k = 0; k < width; k++) keys[at + k] = id + k;
  };
  if (compiled.idRegen) {
    // Site words: trace group × 4, span group × 2.
    for (let i = 0; i < frame.traceIds.length; i += 2) mark(frame.traceIds[i]!, w.trace, next + (frame.traceIds[i + 1]! / 4) * w.trace);
    next += (compiled.traceGroups.length / 4) * w.trace;
    for (let i = 0; i < frame.spanIds.length; i += 2) mark(frame.spanIds[i]!, w.span, next + (frame.spanIds[i + 1]! / 2) * w.span);
    next += (compiled.spanGroups.length / 2) * w.span;
  }
  frame.digits.forEach((offsets, f) => {
    const width = compiled.digitWidths[f]!;
    for (const at of offsets) mark(at, width, next);
    next += width;
  });
  const shared: number[] = [];
  if (compiled.timestamps) {
    const top = next;
    next += w.topWidth;
    for (let i = 0; i < frame.times.length; i += TIME_STRIDE) {
      const at = frame.times[i]!;
      mark(at, w.time, next);
      next += w.time;
      mark(at + w.top, w.topWidth, top);
      shared.push(at + w.top);
    }
  }
  if (next >= 2 ** 32) throw new RangeError('siteKeys: more site bytes than 32-bit keys');
  // JSON sites hold lowercase hex ids and decimal digits (times, digit fields).
  return { keys, shared: Uint32Array.from(shared), sharedWidth: w.topWidth, alphabet: encoding === 'json' ? LOWER_HEX : ALL_BYTES };
}

/** Builds the gzip image of every frame in `encoding` (EncodedFrame.gzip). */
export function attachGzipImages(compiled: CompiledTemplate, encoding: Encoding, level: number): void {
  for (const f of compiled.frames) {
    const enc = f[encoding];
    if (enc) enc.gzip = buildGzipImage(enc.bytes, siteKeys(compiled, enc, encoding), level);
  }
}
