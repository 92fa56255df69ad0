import { METRIC_DATA } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import type { Signal } from '../otlp/signals.js';
import type { Nanos, Verifier } from './verify.js';

/**
 * Reads the fields the verifier checks straight from an encoded request that checkWire
 * has already passed, instead of decoding every attribute into objects (a decode cost
 * several times the checks themselves). As in a decode, the last occurrence of a field wins.
 *
 * Request(1 resource_*) → Resource*(2 scope_*) → Scope*(2 items), then per item:
 * Span: trace_id 1, span_id 2, parent_span_id 4, start 7, end 8 (fixed64).
 * LogRecord: time 1, observed_time 11 (fixed64), trace_id 9, span_id 10.
 * Metric: name 1; gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11 →
 * data_points 1 → start_time 2, time 3 (fixed64) in every point type, and exemplars
 * (gauge and sum 5, histogram 8, exponential histogram 11) → span_id 4, trace_id 5.
 */

/** Raw tags (field << 3 | wire type): Ln = field n length-delimited, Fn = field n fixed64. */
const L1 = (1 << 3) | 2;
const L2 = (2 << 3) | 2;
const L4 = (4 << 3) | 2;
const L9 = (9 << 3) | 2;
const L10 = (10 << 3) | 2;
const F1 = (1 << 3) | 1;
const F2 = (2 << 3) | 1;
const F3 = (3 << 3) | 1;
const F7 = (7 << 3) | 1;
const F8 = (8 << 3) | 1;
const F11 = (11 << 3) | 1;
/** Per metric data tag: its points' exemplars tag (-1: none). Exemplar: span_id 4, trace_id 5. */
const EXEMPLARS = new Map(METRIC_DATA.map((d) => [(d.field << 3) | 2, d.exemplars < 0 ? -1 : (d.exemplars << 3) | 2]));
const L5 = (5 << 3) | 2;
const NO_ID: Uint8Array = new Uint8Array(0);
const ZERO: Nanos = Object.freeze({ hi: 0, lo: 0 });

export function walkRequest(v: Verifier, signal: Signal, buf: Uint8Array): void {
  const r = new WireReader(buf);
  const item = signal === 'traces' ? span : signal === 'logs' ? logRecord : metric;
  within(r, L1, () => within(r, L2, () => within(r, L2, () => item(v, r))));
}

/** Calls `fn` with `r` narrowed to the payload of every `want` field of the message `r` is on. */
function within(r: WireReader, want: number, fn: () => void): void {
  while (!r.done()) {
    const t = r.tag();
    if (t === want) enter(r, fn);
    else r.skip(t & 7);
  }
}

/** Calls `fn` with `r` narrowed to the payload of the length-delimited field whose tag was just read. */
function enter(r: WireReader, fn: () => void): void {
  const end = r.len();
  const outer = r.end;
  r.end = end;
  fn();
  r.end = outer;
  r.pos = end;
}

/** Where each checked field of a span is (-1: absent); read into values only for a span in the sample. */
function span(v: Verifier, r: WireReader): void {
  let traceAt = -1, traceEnd = -1, spanAt = -1, spanEnd = -1, parentAt = -1, parentEnd = -1, startAt = -1, endAt = -1;
  while (!r.done()) {
    const t = r.tag();
    if (t === L1 || t === L2 || t === L4) {
      const e = r.len();
      if (t === L1) [traceAt, traceEnd] = [r.pos, e];
      else if (t === L2) [spanAt, spanEnd] = [r.pos, e];
      else [parentAt, parentEnd] = [r.pos, e];
      r.pos = e;
    } else if (t === F7) startAt = r.advance(8);
    else if (t === F8) endAt = r.advance(8);
    else r.skip(t & 7);
  }
  const b = r.buf;
  if (traceAt >= 0 && !v.inSample('traces', b, traceAt, traceEnd)) return;
  const id = (at: number, end: number) => (at < 0 ? NO_ID : b.subarray(at, end));
  v.span(id(traceAt, traceEnd), id(spanAt, spanEnd), id(parentAt, parentEnd), startAt < 0 ? ZERO : fixed64At(b, startAt), endAt < 0 ? ZERO : fixed64At(b, endAt));
}

function logRecord(v: Verifier, r: WireReader): void {
  let traceId = NO_ID;
  let spanId = NO_ID;
  let time = ZERO;
  let observed = ZERO;
  while (!r.done()) {
    const t = r.tag();
    if (t === L9) traceId = bytes(r);
    else if (t === L10) spanId = bytes(r);
    else if (t === F1) time = fixed64(r);
    else if (t === F11) observed = fixed64(r);
    else r.skip(t & 7);
  }
  v.log(traceId, spanId, time, observed);
}

function metric(v: Verifier, r: WireReader): void {
  const start = r.pos;
  const end = r.end;
  // Read only when a point has a problem to report.
  const name = (): string => {
    const n = new WireReader(r.buf, start, end);
    let text = 'metric';
    while (!n.done()) {
      const t = n.tag();
      if (t !== L1) n.skip(t & 7);
      else text = Buffer.from(bytes(n)).toString('utf8');
    }
    return text;
  };
  while (!r.done()) {
    const t = r.tag();
    const exemplars = EXEMPLARS.get(t);
    if (exemplars !== undefined) enter(r, () => within(r, L1, () => point(v, r, name, exemplars)));
    else r.skip(t & 7);
  }
}

function point(v: Verifier, r: WireReader, name: () => string, exemplars: number): void {
  let start = ZERO;
  let time = ZERO;
  while (!r.done()) {
    const t = r.tag();
    if (t === F2) start = fixed64(r);
    else if (t === F3) time = fixed64(r);
    else if (t === exemplars) enter(r, () => exemplar(v, r));
    else r.skip(t & 7);
  }
  v.point(name, start, time);
}

function exemplar(v: Verifier, r: WireReader): void {
  let traceId = NO_ID;
  let spanId = NO_ID;
  while (!r.done()) {
    const t = r.tag();
    if (t === L5) traceId = bytes(r);
    else if (t === L4) spanId = bytes(r);
    else r.skip(t & 7);
  }
  v.exemplar(traceId, spanId);
}

function bytes(r: WireReader): Uint8Array {
  const [s, e] = r.bytes();
  return r.buf.subarray(s, e);
}

function fixed64(r: WireReader): Nanos {
  return fixed64At(r.buf, r.advance(8));
}

function fixed64At(b: Uint8Array, p: number): Nanos {
  return {
    lo: (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0,
    hi: (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0,
  };
}
