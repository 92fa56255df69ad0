import { SITE_SPAN_ID, SITE_TRACE_ID } from './site-walker.js';
import { WireReader } from './wire-reader.js';
import { fieldLen, readFixed64, writeFixed64, writeVarint } from './wire-write.js';

/**
 * Rewrites one template item (span, log record, data point) at the wire level while it
 * is copied into a frame: every field is copied as it is, except the time fields, which
 * are written once each at the end of their message (protobuf allows any field order)
 * so they are present even when proto3 left a zero out. Id and time offsets are
 * reported as they are written, so no encoder and no second walk is needed.
 */

export interface MessageSpec {
  /** Raw tags (field << 3 | 1) of the fixed64 time fields, in the order they are written. */
  times: readonly number[];
  /** Raw tags of length-delimited id fields → site kind. */
  ids: Readonly<Record<number, number>>;
  /** Raw tags of nested messages with times or ids of their own. */
  children: Readonly<Record<number, MessageSpec>>;
}

const T = (field: number): number => field * 8 + 1;
const L = (field: number): number => field * 8 + 2;

const EXEMPLAR: MessageSpec = { times: [T(2)], ids: { [L(4)]: SITE_SPAN_ID, [L(5)]: SITE_TRACE_ID }, children: {} };
const EVENT: MessageSpec = { times: [T(1)], ids: {}, children: {} };
const LINK: MessageSpec = { times: [], ids: { [L(1)]: SITE_TRACE_ID, [L(2)]: SITE_SPAN_ID }, children: {} };
export const SPAN: MessageSpec = {
  times: [T(7), T(8)], ids: { [L(1)]: SITE_TRACE_ID, [L(2)]: SITE_SPAN_ID, [L(4)]: SITE_SPAN_ID }, children: { [L(11)]: EVENT, [L(13)]: LINK },
};
export const LOG_RECORD: MessageSpec = { times: [T(1), T(11)], ids: { [L(9)]: SITE_TRACE_ID, [L(10)]: SITE_SPAN_ID }, children: {} };
const point = (exemplars?: number): MessageSpec => ({ times: [T(2), T(3)], ids: {}, children: exemplars ? { [L(exemplars)]: EXEMPLAR } : {} });
/** Metric data field (gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11) → its data point spec. */
export const POINT_BY_DATA_FIELD: Readonly<Record<number, MessageSpec>> = { 5: point(5), 7: point(5), 9: point(8), 10: point(11), 11: point() };

const TWO53 = Number.MAX_SAFE_INTEGER;

/** Where `measure` found a time that is not a relative offset (it then returns -1). */
export let badTimeAt = -1;

/**
 * The size of the message at buf[start, end) once rewritten; -1 if a time is not a
 * relative offset below 2^53 (see `badTimeAt`). `always`: write every time field, also
 * absent ones (= 0); otherwise only those present.
 */
export function measure(spec: MessageSpec, buf: Uint8Array, start: number, end: number, always: boolean): number {
  const r = new WireReader(buf, start, end);
  let size = 0;
  let present = 0;
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    const k = spec.times.indexOf(t);
    if (k >= 0) {
      const v = readFixed64(buf, r.advance(8));
      if (v > TWO53) {
        badTimeAt = r.pos - 8;
        return -1;
      }
      present |= 1 << k;
      continue;
    }
    const child = spec.children[t];
    if (child) {
      const [s, e] = r.bytes();
      const n = measure(child, buf, s, e, always);
      if (n < 0) return -1;
      size += fieldLen(n);
      continue;
    }
    r.skip(t & 7);
    size += r.pos - at;
  }
  for (let k = 0; k < spec.times.length; k++) if (always || (present & (1 << k)) !== 0) size += 9;
  return size;
}

/** Receives the sites of the items written into one frame, at their frame offsets. */
export interface SiteSink {
  /** An id of `len` bytes written at `at`; its bytes are `src[srcAt..]` (the frame is not written yet). */
  id(kind: number, at: number, len: number, src: Uint8Array, srcAt: number): void;
  time(at: number, rel: number): void;
}

/**
 * Writes the rewritten message at `out[pos..]` and returns the position after it; its
 * size must have been measured. `always` as in measure; times are reported when it is set.
 * Fields are copied in runs: only times and nested messages interrupt a run.
 */
export function emit(spec: MessageSpec, buf: Uint8Array, start: number, end: number, out: Uint8Array, pos: number, always: boolean, sink: SiteSink): number {
  const r = new WireReader(buf, start, end);
  let t0 = 0, t1 = 0;
  let present = 0;
  let run = start;
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    const k = spec.times.indexOf(t);
    if (k >= 0) {
      pos = copy(buf, run, at, out, pos);
      const v = readFixed64(buf, r.advance(8));
      if (k === 0) t0 = v;
      else t1 = v;
      present |= 1 << k;
      run = r.pos;
      continue;
    }
    const child = spec.children[t];
    if (child) {
      pos = copy(buf, run, at, out, pos);
      const [s, e] = r.bytes();
      out[pos++] = t;
      pos = writeVarint(out, pos, measure(child, buf, s, e, always));
      pos = emit(child, buf, s, e, out, pos, always, sink);
      run = r.pos;
      continue;
    }
    const kind = spec.ids[t];
    if (kind === undefined) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.bytes();
    sink.id(kind, pos + (s - run), e - s, buf, s);
  }
  pos = copy(buf, run, end, out, pos);
  for (let k = 0; k < spec.times.length; k++) {
    if (!always && (present & (1 << k)) === 0) continue;
    const v = k === 0 ? t0 : t1;
    out[pos++] = spec.times[k]!;
    writeFixed64(out, pos, v);
    if (always) sink.time(pos, v);
    pos += 8;
  }
  return pos;
}

/** Copies buf[a, b) to out[pos..]; returns the position after it. Short runs by hand: subarray costs more. */
function copy(buf: Uint8Array, a: number, b: number, out: Uint8Array, pos: number): number {
  if (b - a < 48) {
    for (let i = a; i < b; i++) out[pos++] = buf[i]!;
    return pos;
  }
  out.set(buf.subarray(a, b), pos);
  return pos + (b - a);
}
