/**
 * Value sites (timestamp's metrics continuity): how a value's 8 bytes are written, and
 * the compile-time rewrite of an exponential histogram's bucket counts, which OTLP
 * encodes as varints, into varints padded to a fixed width so they can grow in place.
 */
import { EXP_BUCKETS, LEN, tag, VARINT } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import { fieldLen, writeVarint } from '../otlp/wire/write.js';
import type { SiteSink } from './item-rewrite.js';

/**
 * How a value site's 8 bytes are written (metrics continuity): a double, a signed or an
 * unsigned 64-bit integer, or a varint padded to 8 bytes (an exponential histogram's
 * bucket counts, which OTLP encodes as varints: compile rewrites them padded, so a count
 * can grow to 2^56 − 1 without the request changing size).
 */
export const V_DOUBLE = 0, V_INT = 1, V_UINT = 2, V_PADDED_VARINT = 3;
/** Bytes of a padded varint value site. */
export const PADDED_VARINT_WIDTH = 8;

/** ExponentialHistogramDataPoint.Buckets.bucket_counts: packed (LEN) or not (VARINT). */
const BUCKET_COUNTS_PACKED = tag(EXP_BUCKETS.bucketCounts, LEN);
const BUCKET_COUNTS_ONE = tag(EXP_BUCKETS.bucketCounts, VARINT);

/** The size of a Buckets message once its counts are rewritten as packed varints of PADDED_VARINT_WIDTH bytes. */
export function bucketsLen(buf: Uint8Array, start: number, end: number): number {
  const r = new WireReader(buf, start, end);
  let size = 0;
  let counts = 0;
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    if (t === BUCKET_COUNTS_PACKED) {
      const e = r.len();
      while (r.pos < e) {
        r.varint();
        counts++;
      }
    } else if (t === BUCKET_COUNTS_ONE) {
      r.varint();
      counts++;
    } else {
      r.skip(t & 7);
      size += r.pos - at;
    }
  }
  return counts === 0 ? size : size + fieldLen(counts * PADDED_VARINT_WIDTH);
}

/** Writes a Buckets message as bucketsLen measured it: its other fields, then the padded counts, each a value site. */
export function emitBuckets(buf: Uint8Array, start: number, end: number, out: Uint8Array, pos: number, bucketsTag: number, sink: SiteSink): number {
  const counts: number[] = [];
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    if (t === BUCKET_COUNTS_PACKED) {
      const e = r.len();
      while (r.pos < e) counts.push(varint64(r));
    } else if (t === BUCKET_COUNTS_ONE) {
      counts.push(varint64(r));
    } else {
      r.skip(t & 7);
      out.set(buf.subarray(at, r.pos), pos);
      pos += r.pos - at;
    }
  }
  if (counts.length === 0) return pos;
  out[pos++] = BUCKET_COUNTS_PACKED;
  pos = writeVarint(out, pos, counts.length * PADDED_VARINT_WIDTH);
  for (const c of counts) {
    sink.value?.(V_PADDED_VARINT, bucketsTag, pos, c);
    writePaddedVarint(out, pos, c);
    pos += PADDED_VARINT_WIDTH;
  }
  return pos;
}

/** A uint64 varint as a Number (exact below 2^53). */
function varint64(r: WireReader): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    const b = r.buf[r.pos++]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 128;
  }
}

/** `n` (< 2^56) as a varint of exactly PADDED_VARINT_WIDTH bytes: continuation bits on all but the last. */
export function writePaddedVarint(out: Uint8Array, at: number, n: number): void {
  for (let k = 0; k < PADDED_VARINT_WIDTH - 1; k++) {
    out[at + k] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at + PADDED_VARINT_WIDTH - 1] = Math.min(n, 127);
}
