import {
  EXEMPLAR, EXP_HISTOGRAM_POINT, FIXED64, HISTOGRAM_POINT, LEN, LOG_RECORD, METRIC_DATA, METRIC_DATA_FIELD, NUMBER_POINT, POINT, SITE_SPAN_ID, SITE_TRACE_ID,
  SPAN, SPAN_EVENT, SPAN_LINK, SUMMARY_POINT, tag,
} from '../otlp/wire/fields.js';
import { bucketsLen, emitBuckets, V_DOUBLE, V_INT, V_UINT } from './value-sites.js';
import { WireReader } from '../otlp/wire/reader.js';
import { fieldLen, readFixed64, writeFixed64, writeVarint } from '../otlp/wire/write.js';

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
  /** Per raw tag below 128 (every tag these messages use): PLAIN, TIME0, TIME1, CHILD, an id's site kind + ID, BUCKETS, or a value kind + VALUE. */
  action: Uint8Array;
  /** Per raw tag: the spec of a nested message with times or ids of its own. */
  children: readonly (MessageSpec | undefined)[];
}

const PLAIN = 0, TIME0 = 1, TIME1 = 2, CHILD = 3, ID = 4, BUCKETS = 15, VALUE = 16;

function spec(times: number[], ids: Record<number, number>, children: Record<number, MessageSpec>, values: Record<number, number> = {}, buckets: number[] = []): MessageSpec {
  const action = new Uint8Array(128);
  const kids: (MessageSpec | undefined)[] = [];
  times.forEach((t, k) => (action[t] = k === 0 ? TIME0 : TIME1));
  for (const [t, kind] of Object.entries(ids)) action[+t] = ID + kind;
  for (const [t, kind] of Object.entries(values)) action[+t] = VALUE + kind;
  for (const t of buckets) action[t] = BUCKETS;
  for (const [t, child] of Object.entries(children)) {
    action[+t] = CHILD;
    kids[+t] = child;
  }
  return { times, action, children: kids };
}

const T = (field: number): number => tag(field, FIXED64);
const L = (field: number): number => tag(field, LEN);

const EXEMPLAR_SPEC = spec([T(EXEMPLAR.time)], { [L(EXEMPLAR.spanId)]: SITE_SPAN_ID, [L(EXEMPLAR.traceId)]: SITE_TRACE_ID }, {});
const EVENT_SPEC = spec([T(SPAN_EVENT.time)], {}, {});
const LINK_SPEC = spec([], { [L(SPAN_LINK.traceId)]: SITE_TRACE_ID, [L(SPAN_LINK.spanId)]: SITE_SPAN_ID }, {});
/** Raw tag of Span.span_id: a span's own id, as trace copies are told apart by it. */
export const SPAN_ID_TAG = L(SPAN.spanId);
const PARENT_ID_TAG = L(SPAN.parentSpanId);
export const SPAN_SPEC = spec(
  [T(SPAN.start), T(SPAN.end)],
  { [L(SPAN.traceId)]: SITE_TRACE_ID, [L(SPAN.spanId)]: SITE_SPAN_ID, [L(SPAN.parentSpanId)]: SITE_SPAN_ID },
  { [L(SPAN.events)]: EVENT_SPEC, [L(SPAN.links)]: LINK_SPEC },
);
export const LOG_RECORD_SPEC = spec([T(LOG_RECORD.time), T(LOG_RECORD.observedTime)], { [L(LOG_RECORD.traceId)]: SITE_TRACE_ID, [L(LOG_RECORD.spanId)]: SITE_SPAN_ID }, {});
/** Metric data field → the spec of its data points. */
export const POINT_BY_DATA_FIELD: ReadonlyMap<number, MessageSpec> = new Map(
  METRIC_DATA.map((d) => [d.field, spec([T(POINT.start), T(POINT.time)], {}, d.exemplars < 0 ? {} : { [L(d.exemplars)]: EXEMPLAR_SPEC })]),
);

/** Value fields of each point type, by raw tag: what metrics continuity stamps. */
const POINT_VALUES: Record<number, Record<number, number>> = {
  [METRIC_DATA_FIELD.gauge]: { [T(NUMBER_POINT.asDouble)]: V_DOUBLE, [T(NUMBER_POINT.asInt)]: V_INT },
  [METRIC_DATA_FIELD.sum]: { [T(NUMBER_POINT.asDouble)]: V_DOUBLE, [T(NUMBER_POINT.asInt)]: V_INT },
  [METRIC_DATA_FIELD.histogram]: {
    [T(HISTOGRAM_POINT.count)]: V_UINT, [T(HISTOGRAM_POINT.sum)]: V_DOUBLE,
    [L(HISTOGRAM_POINT.bucketCounts)]: V_UINT, [T(HISTOGRAM_POINT.bucketCounts)]: V_UINT,
  },
  [METRIC_DATA_FIELD.exponentialHistogram]: {
    [T(EXP_HISTOGRAM_POINT.count)]: V_UINT, [T(EXP_HISTOGRAM_POINT.sum)]: V_DOUBLE, [T(EXP_HISTOGRAM_POINT.zeroCount)]: V_UINT,
  },
  [METRIC_DATA_FIELD.summary]: { [T(SUMMARY_POINT.count)]: V_UINT, [T(SUMMARY_POINT.sum)]: V_DOUBLE },
};

/**
 * Point specs that also report value sites (timestamp's metrics continuity), and rewrite
 * an exponential histogram's bucket counts as padded varints.
 */
export const VALUE_POINT_BY_DATA_FIELD: ReadonlyMap<number, MessageSpec> = new Map(
  METRIC_DATA.map((d) => [d.field, spec(
    [T(POINT.start), T(POINT.time)], {}, d.exemplars < 0 ? {} : { [L(d.exemplars)]: EXEMPLAR_SPEC }, POINT_VALUES[d.field],
    d.field === METRIC_DATA_FIELD.exponentialHistogram ? [L(EXP_HISTOGRAM_POINT.positive), L(EXP_HISTOGRAM_POINT.negative)] : [],
  )]),
);

const TWO53 = Number.MAX_SAFE_INTEGER;

/** Where `measure` found a time that is not a relative offset (it then returns -1). */
export let badTimeAt = -1;
/** Offset of the measured message's own (last) trace id when it is 16 bytes, else -1; children's ids do not count. */
export let measuredTraceIdAt = -1;

/** Offset of the measured message's own (last) span id when it is 8 bytes, else -1 (spans only). */
export let measuredSpanIdAt = -1;
/** Offset of the measured span's (last) parent span id when it is 8 bytes, else -1. */
export let measuredParentIdAt = -1;

/**
 * The size of the message at [start, end) of `r`'s bytes once rewritten (`r` is reused: its position is set here). `always` (times are
 * stamped): write every time field, also absent ones (= 0), and return -1 if a time is
 * not a relative offset below 2^53 (see `badTimeAt`); otherwise times are copied as
 * they are, only those present. Also sets `measuredTraceIdAt`, `measuredSpanIdAt` and `measuredParentIdAt`.
 */
export function measure(spec: MessageSpec, r: WireReader, start: number, end: number, always: boolean): number {
  measuredTraceIdAt = -1;
  measuredSpanIdAt = -1;
  measuredParentIdAt = -1;
  r.pos = start;
  r.end = end;
  return measureIn(r, spec, always, true);
}

/** measure over [r.pos, r.end); leaves r.pos at r.end. */
function measureIn(r: WireReader, spec: MessageSpec, always: boolean, top: boolean): number {
  const buf = r.buf;
  const end = r.end;
  let size = 0;
  let present = 0;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag();
    const action = t < 128 ? spec.action[t]! : PLAIN;
    if (action === PLAIN) {
      skipField(r, t);
      size += r.pos - at;
    } else if (action <= TIME1) {
      const at8 = r.advance(8);
      if (always && readFixed64(buf, at8) > TWO53) {
        badTimeAt = at8;
        return -1;
      }
      present |= action;
    } else if (action === CHILD) {
      r.end = r.len();
      const n = measureIn(r, spec.children[t]!, always, false);
      r.end = end;
      if (n < 0) return -1;
      size += fieldLen(n);
    } else if (action >= VALUE) {
      r.skip(t & 7);
      size += r.pos - at;
    } else if (action === BUCKETS) {
      const e = r.len();
      size += fieldLen(bucketsLen(buf, r.pos, e));
      r.pos = e;
    } else {
      const e = r.len();
      if (top && action === ID + SITE_TRACE_ID) measuredTraceIdAt = e - r.pos === 16 ? r.pos : -1;
      else if (top && t === SPAN_ID_TAG && spec === SPAN_SPEC) measuredSpanIdAt = e - r.pos === 8 ? r.pos : -1;
      else if (top && t === PARENT_ID_TAG && spec === SPAN_SPEC) measuredParentIdAt = e - r.pos === 8 ? r.pos : -1;
      r.pos = e;
      size += e - at;
    }
  }
  for (let k = 0; k < spec.times.length; k++) if (always || (present & (1 << k)) !== 0) size += 9;
  return size;
}

/** Receives the sites of the items written into one frame, at their frame offsets. */
export interface SiteSink {
  /**
   * An id of `len` bytes written at `at`; its bytes are `src[srcAt..]` (the frame is not
   * written yet). `own`: a field of the item itself, not of a nested message (a link).
   */
  id(kind: number, at: number, len: number, src: Uint8Array, srcAt: number, own: boolean): void;
  /** A time written at `at`; `field` is its index in the item's own times (start 0, time 1), -1 for a nested message's (an exemplar's). */
  time(at: number, rel: number, field: number): void;
  /**
   * A value (metrics continuity) written at `at`, 8 bytes of `kind` (V_*); `tag` is its
   * field's raw tag (repeated fields report each element in order); `value` as read from the template.
   */
  value?(kind: number, tag: number, at: number, value: number): void;
}

/**
 * Writes the rewritten message at `out[pos..]` and returns the position after it; its
 * size must have been measured. `always` as in measure; times are reported when it is set.
 * Fields are copied in runs: only times and nested messages interrupt a run.
 */
export function emit(spec: MessageSpec, r: WireReader, start: number, end: number, out: Uint8Array, pos: number, always: boolean, sink: SiteSink, views: CopyViews): number {
  r.pos = start;
  r.end = end;
  return emitIn(r, spec, out, pos, always, sink, true, views);
}

/** DataViews over the whole of emit's reader's bytes and `out` (made once per buffer by the caller, not per item). */
export interface CopyViews {
  src: DataView;
  out: DataView;
}

/** emit over [r.pos, r.end), one reader for the message and its children. */
function emitIn(r: WireReader, spec: MessageSpec, out: Uint8Array, pos: number, always: boolean, sink: SiteSink, top: boolean, views: CopyViews): number {
  const buf = r.buf;
  const end = r.end;
  // Where each time's 8 bytes are in `buf` (-1: absent): copied, not read as a Number,
  // so recorded times above 2^53 go out exact when they are not stamped.
  let t0 = -1, t1 = -1;
  let run = r.pos;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag();
    const action = t < 128 ? spec.action[t]! : PLAIN;
    if (action === PLAIN) {
      skipField(r, t);
    } else if (action <= TIME1) {
      pos = copy(buf, run, at, out, pos, views);
      if (action === TIME0) t0 = r.advance(8);
      else t1 = r.advance(8);
      run = r.pos;
    } else if (action === CHILD) {
      pos = copy(buf, run, at, out, pos, views);
      const child = spec.children[t]!;
      const e = r.len();
      const s = r.pos;
      out[pos++] = t;
      r.end = e;
      pos = writeVarint(out, pos, measureIn(r, child, always, false));
      r.pos = s;
      pos = emitIn(r, child, out, pos, always, sink, false, views);
      r.end = end;
      run = e;
    } else if (action >= VALUE) {
      const kind = action - VALUE;
      if ((t & 7) === FIXED64) {
        sink.value?.(kind, t, pos + (r.pos - run), readValue(kind, buf, r.pos));
        r.advance(8);
      } else {
        // packed fixed64 (histogram bucket counts)
        const e = r.len();
        for (let p = r.pos; p + 8 <= e; p += 8) sink.value?.(kind, t, pos + (p - run), readValue(kind, buf, p));
        r.pos = e;
      }
    } else if (action === BUCKETS) {
      pos = copy(buf, run, at, out, pos, views);
      const e = r.len();
      out[pos++] = t;
      pos = writeVarint(out, pos, bucketsLen(buf, r.pos, e));
      pos = emitBuckets(buf, r.pos, e, out, pos, t, sink);
      r.pos = e;
      run = e;
    } else {
      const e = r.len();
      sink.id(action - ID, pos + (r.pos - run), e - r.pos, buf, r.pos, top);
      r.pos = e;
    }
  }
  pos = copy(buf, run, end, out, pos, views);
  for (let k = 0; k < spec.times.length; k++) {
    const src = k === 0 ? t0 : t1;
    if (!always && src < 0) continue;
    out[pos++] = spec.times[k]!;
    if (src < 0) writeFixed64(out, pos, 0);
    else for (let i = 0; i < 8; i++) out[pos + i] = buf[src + i]!;
    if (always) sink.time(pos, src < 0 ? 0 : readFixed64(buf, src), top ? k : -1);
    pos += 8;
  }
  return pos;
}

/** `r.skip`, with the commonest field inline: length-delimited with a one-byte length (attributes, names). */
function skipField(r: WireReader, t: number): void {
  if ((t & 7) === LEN) {
    const p = r.pos, n = r.buf[p]!;
    if (n < 0x80 && p < r.end && n < r.end - p) {
      r.pos = p + 1 + n;
      return;
    }
  }
  r.skip(t & 7);
}

/** A fixed-width value as a Number (exact below 2^53). */
function readValue(kind: number, buf: Uint8Array, at: number): number {
  if (kind === V_DOUBLE) return new DataView(buf.buffer, buf.byteOffset).getFloat64(at, true);
  const n = readFixed64(buf, at);
  return kind === V_INT && n >= 2 ** 63 ? n - 2 ** 64 : n;
}

/**
 * Copies buf[a, b) to out[pos..]; returns the position after it. `set` costs a subarray
 * per call (~80 ns), so runs below ~100 bytes (half of a span's runs) are copied by
 * hand, 4 bytes a step through `views` of the same two buffers. Pass plain Uint8Arrays:
 * a Buffer's subarray is slower still.
 */
function copy(buf: Uint8Array, a: number, b: number, out: Uint8Array, pos: number, views: CopyViews): number {
  const n = b - a;
  if (n < 8) {
    for (let i = a; i < b; i++) out[pos++] = buf[i]!;
    return pos;
  }
  if (n >= 112) {
    out.set(buf.subarray(a, b), pos);
    return pos + n;
  }
  const from = views.src, to = views.out;
  const words = a + (n & ~3);
  for (let i = a; i < words; i += 4, pos += 4) to.setUint32(pos, from.getUint32(i, true), true);
  for (let i = words; i < b; i++) out[pos++] = buf[i]!;
  return pos;
}
