import { WireReader } from '../otlp/wire/reader.js';

/** Field readers for normalize's walks over the wire bytes of a template. */

const L1 = 1 * 8 + 2; // KeyValue.key (1), length-delimited
const TEMPLATE_PREFIX = Buffer.from('_template.');

/** Skips a length-delimited value; returns its length. */
export function skipLen(r: WireReader): number {
  const end = r.len();
  const len = end - r.pos;
  r.pos = end;
  return len;
}

function range(r: WireReader): [start: number, len: number] {
  const [s, e] = r.bytes();
  return [s, e - s];
}

/** Lengths of the (last) trace and span id fields; offsets of the time fields go to `times`. */
export function idLens(buf: Uint8Array, start: number, end: number, traceTag: number, spanTag: number, timeTag: number, times: number[], timeTag2 = -1): [number, number] {
  const ids: [number, number] = [0, 0];
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (t === timeTag || t === timeTag2) times.push(r.advance(8));
    else if (t === traceTag) ids[0] = range(r)[1];
    else if (t === spanTag) ids[1] = range(r)[1];
    else r.skip(t & 7);
  }
  return ids;
}

export function fixedFields(buf: Uint8Array, start: number, end: number, tag: number, out: number[]): void {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (t === tag) out.push(r.advance(8));
    else r.skip(t & 7);
  }
}

/** Whether a KeyValue's key starts with `_template.`. */
export function hasTemplateKey(buf: Buffer, start: number, end: number): boolean {
  // Fast answer for the usual encoding: the key first, with a one-byte length.
  if (end - start >= 2 && buf[start] === L1 && buf[start + 1]! < 0x80) {
    if (buf[start + 2] !== 0x5f) return false; // '_'
  }
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (t !== L1) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.bytes();
    return e - s >= TEMPLATE_PREFIX.length && buf[s] === 0x5f && buf.compare(TEMPLATE_PREFIX, 0, TEMPLATE_PREFIX.length, s, s + TEMPLATE_PREFIX.length) === 0;
  }
  return false;
}
