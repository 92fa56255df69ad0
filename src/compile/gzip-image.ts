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
import { BitWriter } from './bit-writer.js';
import { BLOCK_SYMBOLS, BlockSymbols } from './deflate-block.js';
import type { CompiledTemplate } from './frame.js';
import { KeyMatcher } from './key-matcher.js';
import { siteKeys, type SiteKeys } from './site-keys.js';

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

/**
 * Effort per level 1..9, as zlib's: hash chain links followed per search (a quarter of
 * them once a match of `good` is in hand), the longest match that still tries one byte on
 * (lazy matching), the length that ends a search. Stronger than zlib's at each level: an
 * image is compressed once, at load, and a search that runs on to 258 takes fewer, longer
 * matches, which cost less to find here (fewer positions searched) and less to inflate
 * (inflate's work is per symbol). On the bench template, level 1 takes 6.17 where zlib's
 * level-1 effort (chain 4, no lazy matching, nice 8) took 5.77, at the same build speed.
 */
const EFFORT: readonly { chain: number; good: number; lazy: number; nice: number }[] = [
  { chain: 16, good: 8, lazy: 8, nice: 258 },
  { chain: 32, good: 8, lazy: 16, nice: 258 },
  { chain: 64, good: 16, lazy: 16, nice: 258 },
  { chain: 64, good: 16, lazy: 32, nice: 258 },
  { chain: 128, good: 32, lazy: 32, nice: 258 },
  { chain: 128, good: 32, lazy: 128, nice: 258 },
  { chain: 256, good: 32, lazy: 258, nice: 258 },
  { chain: 1024, good: 32, lazy: 258, nice: 258 },
  { chain: 4096, good: 258, lazy: 258, nice: 258 },
];

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

  const { chain, good, lazy, nice } = EFFORT[Math.min(9, Math.max(1, level)) - 1]!;
  const matcher = new KeyMatcher(keys);
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
    let len = matcher.longest(p, chain, nice);
    let dist = matcher.distance;
    matcher.insert(p);
    if (len > 0 && len < lazy && len < nice) {
      // One step of lazy matching: a longer match one byte on wins over this one.
      const next = matcher.longest(p + 1, len >= good ? chain >> 2 : chain, nice);
      if (next > len) {
        block.literal(raw[p]!);
        p++;
        len = next;
        dist = matcher.distance;
        matcher.insert(p);
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
    matcher.insertRange(p + 1, p + len);
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

/** Builds the gzip image of every frame in `encoding` (EncodedFrame.gzip). */
export function attachGzipImages(compiled: CompiledTemplate, encoding: Encoding, level: number): void {
  for (const f of compiled.frames) {
    const enc = f[encoding];
    if (enc) enc.gzip = buildGzipImage(enc.bytes, siteKeys(compiled, enc, encoding), level);
  }
}
