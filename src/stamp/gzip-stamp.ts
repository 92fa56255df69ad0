import { crc32 } from 'node:zlib';
import { NO_CODE } from '../compile/deflate-block.js';
import type { GzipImage } from '../compile/gzip-image.js';

/**
 * Writes the gzip form of a stamped request into `out` from its image (gzip-image.ts):
 * copy the image, write each site byte's literal code at its bit offset, and the
 * trailer's CRC-32 of `raw`, the stamped request. Returns the member's length, or -1 when
 * this send breaks what the image assumed: its times do not share their leading bytes (a
 * frame whose times straddle a 2^40 ns boundary: rarely), or a site holds a byte outside
 * the image's site alphabet (never, from a Stamper). The caller then compresses `raw` itself.
 */
export function stampGzip(image: GzipImage, raw: Uint8Array, out: Buffer): number {
  const { bytes, runs, codes, literalBits, rawLength, shared, sharedWidth } = image;
  if (raw.length !== rawLength) throw new RangeError(`stampGzip: a ${raw.length}-byte request for an image of ${rawLength} bytes`);
  if (out.length < bytes.length) throw new RangeError(`stampGzip: buffer of ${out.length} bytes for a ${bytes.length}-byte member`);
  const ref = shared.length > 0 ? shared[0]! : 0;
  /** The next shared range to check. */
  let s = 1;
  bytes.copy(out, 0);
  for (let i = 0; i < runs.length; i += 4) {
    let at = runs[i]!;
    const end = at + runs[i + 1]!;
    // Shared ranges (a time's leading bytes) are checked as the walk passes them, while the
    // request bytes around them are in cache: walked apart, they cost as much as the runs.
    for (; s < shared.length && shared[s]! < end + sharedWidth; s++) if (differs(raw, shared[s]!, ref, sharedWidth)) return -1;
    let bit = runs[i + 2]!;
    const table = runs[i + 3]!;
    // The image holds zeros there: OR in the code (at most 9 bits), which spans at most two bytes.
    for (; at < end; at++, bit += literalBits) {
      const code = codes[table + raw[at]!]!;
      if (code === NO_CODE) return -1;
      const c = code << (bit & 7);
      const j = bit >>> 3;
      out[j] |= c;
      out[j + 1] |= c >>> 8;
    }
  }
  for (; s < shared.length; s++) if (differs(raw, shared[s]!, ref, sharedWidth)) return -1;
  out.writeUInt32LE(crc32(raw), bytes.length - 8);
  return bytes.length;
}

/** Whether the `width` bytes at `from` differ from those at `ref`. */
function differs(raw: Uint8Array, from: number, ref: number, width: number): boolean {
  for (let k = 0; k < width; k++) if (raw[from + k] !== raw[ref + k]) return true;
  return false;
}
