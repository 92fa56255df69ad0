import type { Signal } from '../otlp/signals.js';
import { WireReader } from './wire-reader.js';

/**
 * Finds every id and time field in an encoded Export*ServiceRequest by walking its
 * wire format along the OTLP field paths (docs: replay-engine.md, "Compile"). It never
 * scans for byte patterns: attribute values can contain anything.
 */

export const SITE_TRACE_ID = 0;
export const SITE_SPAN_ID = 1;
export const SITE_TIME = 2;
export type SiteKind = typeof SITE_TRACE_ID | typeof SITE_SPAN_ID | typeof SITE_TIME;

/** `offset` is the first byte of the value; `length` is 8 for times, the id length for ids (may be 0). */
export type SiteVisitor = (kind: SiteKind, offset: number, length: number) => void;

// Raw tags (field number << 3 | wire type): 1 = fixed64, 2 = length-delimited.
const tag = (field: number, wire: number): number => field * 8 + wire;
const LEN = 2;
const FIXED64 = 1;

/** Visits the sites of one request in byte order. Throws WireError on malformed data. */
export function walkSites(signal: Signal, buf: Uint8Array, visit: SiteVisitor): void {
  const leaf = signal === 'traces' ? span : signal === 'metrics' ? metric : logRecord;
  // Request.resource_* (1) → Resource* .scope_* (2) → Scope* .items (2)
  nested(buf, 0, buf.length, tag(1, LEN), (s, e) =>
    nested(buf, s, e, tag(2, LEN), (s2, e2) => nested(buf, s2, e2, tag(2, LEN), (s3, e3) => leaf(buf, s3, e3, visit))),
  );
}

/** Calls `fn` with the payload range of every length-delimited field `wantTag` in [start, end). */
function nested(buf: Uint8Array, start: number, end: number, wantTag: number, fn: (s: number, e: number) => void): void {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (t === wantTag) {
      const [s, e] = r.bytes();
      fn(s, e);
    } else {
      r.skip(t & 7);
    }
  }
}

/** Visits the fields of one message: `fields` maps a raw tag to a site kind. */
function fieldsOf(r: WireReader, t: number, fields: Record<number, SiteKind>, visit: SiteVisitor): boolean {
  const kind = fields[t];
  if (kind === undefined) return false;
  if (kind === SITE_TIME) {
    visit(kind, r.advance(8), 8);
  } else {
    const [s, e] = r.bytes();
    visit(kind, s, e - s);
  }
  return true;
}

const SPAN_FIELDS: Record<number, SiteKind> = {
  [tag(1, LEN)]: SITE_TRACE_ID, [tag(2, LEN)]: SITE_SPAN_ID, [tag(4, LEN)]: SITE_SPAN_ID,
  [tag(7, FIXED64)]: SITE_TIME, [tag(8, FIXED64)]: SITE_TIME,
};
const EVENT_FIELDS: Record<number, SiteKind> = { [tag(1, FIXED64)]: SITE_TIME };
const LINK_FIELDS: Record<number, SiteKind> = { [tag(1, LEN)]: SITE_TRACE_ID, [tag(2, LEN)]: SITE_SPAN_ID };
const LOG_FIELDS: Record<number, SiteKind> = {
  [tag(1, FIXED64)]: SITE_TIME, [tag(11, FIXED64)]: SITE_TIME, [tag(9, LEN)]: SITE_TRACE_ID, [tag(10, LEN)]: SITE_SPAN_ID,
};
const POINT_FIELDS: Record<number, SiteKind> = { [tag(2, FIXED64)]: SITE_TIME, [tag(3, FIXED64)]: SITE_TIME };
const EXEMPLAR_FIELDS: Record<number, SiteKind> = {
  [tag(2, FIXED64)]: SITE_TIME, [tag(4, LEN)]: SITE_SPAN_ID, [tag(5, LEN)]: SITE_TRACE_ID,
};

function message(buf: Uint8Array, start: number, end: number, fields: Record<number, SiteKind>, visit: SiteVisitor,
  children?: Record<number, Record<number, SiteKind>>): void {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (fieldsOf(r, t, fields, visit)) continue;
    const child = children?.[t];
    if (child) {
      const [s, e] = r.bytes();
      message(buf, s, e, child, visit);
    } else {
      r.skip(t & 7);
    }
  }
}

function span(buf: Uint8Array, start: number, end: number, visit: SiteVisitor): void {
  message(buf, start, end, SPAN_FIELDS, visit, { [tag(11, LEN)]: EVENT_FIELDS, [tag(13, LEN)]: LINK_FIELDS });
}

function logRecord(buf: Uint8Array, start: number, end: number, visit: SiteVisitor): void {
  message(buf, start, end, LOG_FIELDS, visit);
}

// Metric.{gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11} → data_points (1);
// exemplars: NumberDataPoint 5, HistogramDataPoint 8, ExponentialHistogramDataPoint 11.
const POINT_EXEMPLARS: Record<number, number> = { 5: tag(5, LEN), 7: tag(5, LEN), 9: tag(8, LEN), 10: tag(11, LEN), 11: -1 };

function metric(buf: Uint8Array, start: number, end: number, visit: SiteVisitor): void {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    const exemplarTag = (t & 7) === LEN ? POINT_EXEMPLARS[t >>> 3] : undefined;
    if (exemplarTag === undefined) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.bytes();
    const children = exemplarTag < 0 ? undefined : { [exemplarTag]: EXEMPLAR_FIELDS };
    nested(buf, s, e, tag(1, LEN), (ps, pe) => message(buf, ps, pe, POINT_FIELDS, visit, children));
  }
}
