import { TemplateError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { FIXED64, LEN, METRIC_DATA, SPAN, SPAN_EVENT, tag } from '../otlp/wire/fields.js';
import { eachField, stringField, WireReader } from '../otlp/wire/reader.js';
import { TraceCopies } from '../otlp/wire/trace-copies.js';
import { U32List } from '../otlp/wire/u32-list.js';
import { TWO32, writeFixed64 } from '../otlp/wire/write.js';
import { fixedFields, hasTemplateKey, idLens, skipLen } from './normalize-fields.js';
import { SpanChecks } from './span-checks.js';
import { rebuildSpans } from './template-spans.js';
import type { TemplateData } from './template-data.js';

/**
 * Makes an encoded (and wire-checked) request a template, at the wire level: every
 * timestamp becomes ns relative to its trace copy (spans, see TraceCopies) or its file
 * (metrics, logs), `_template.*` span attributes are applied and stripped, ids are
 * checked, spans that end before they start are repaired. Times are rewritten in place
 * in `bytes`, which the returned TemplateData then owns.
 *
 * A pipeline without the timestamp processor sends times as they are, so for it
 * (`relativeTimes: false`) recorded times are kept: nothing is rebased, and spans placed
 * by `_template.*` attributes are placed on their trace's recorded start.
 *
 * Recorded times are ~1.7e18 ns, past 2^53, so they are never turned into a float: they
 * are compared and subtracted as unsigned 32-bit halves, and only the (small) offset
 * becomes a Number.
 */

/** Below this every time is taken as already relative (~11.6 days in ns). */
export const RELATIVE_LIMIT = 1e15;
const RELATIVE_HI = Math.floor(RELATIVE_LIMIT / TWO32);
const RELATIVE_LO = RELATIVE_LIMIT - RELATIVE_HI * TWO32;

const T = (field: number): number => tag(field, FIXED64);
const L = (field: number): number => tag(field, LEN);
/** Raw tags of the Span fields the span walk reads (constants: compared for every field of every span). */
const START_TAG = T(SPAN.start), END_TAG = T(SPAN.end), TRACE_ID_TAG = L(SPAN.traceId), SPAN_ID_TAG = L(SPAN.spanId), PARENT_ID_TAG = L(SPAN.parentSpanId);
const EVENTS_TAG = L(SPAN.events), EVENT_TIME_TAG = T(SPAN_EVENT.time), LINKS_TAG = L(SPAN.links), ATTRIBUTES_TAG = L(SPAN.attributes);
/** Raw tag of each Metric data field → its name and its points' exemplars tag (-1: none). */
const METRIC_DATA_TAGS: Record<number, [name: string, exemplars: number]> = Object.fromEntries(
  METRIC_DATA.map((d) => [L(d.field), [d.key, d.exemplars < 0 ? -1 : L(d.exemplars)]]),
);

export interface NormalizeOptions {
  /** Rebase recorded times to relative offsets (the timestamp processor stamps them); false keeps them as recorded. */
  relativeTimes: boolean;
  /** Name byte offsets in warnings: only binary templates have offsets a user can look up. */
  byteOffsets?: boolean;
}

export function normalize(signal: Signal, bytes: Buffer, source: string, opts: NormalizeOptions = { relativeTimes: true }): TemplateData {
  let scan = new Scan(bytes, source, opts);
  const warnings: string[] = [];
  if (signal === 'traces') {
    scan.traces(new Set());
    const first = scan.checks!;
    if (first.needsRebuild()) {
      const { bytes: rebuilt, placed } = rebuildSpans(bytes, first.templated, first.endless, source);
      bytes = rebuilt;
      scan = new Scan(bytes, source, opts);
      scan.traces(placed);
    }
    // Repairs happen in the first walk; copies are counted on the final bytes, as compile sees them.
    warnings.push(...first.repairWarnings(), ...scan.checks!.copyWarnings());
  } else if (signal === 'metrics') scan.metrics();
  else scan.logs();
  if (opts.relativeTimes) scan.rebase(signal === 'traces' ? 'trace' : 'file');
  else scan.placeOnRecordedStart();
  const data: TemplateData = { signal, source, bytes };
  if (!opts.relativeTimes && scan.absolute) data.absoluteTimes = true;
  if (warnings.length > 0) data.warnings = warnings;
  return data;
}

/** One walk over a request: checks ids, collects time fields per base group (trace copy or file). */
class Scan {
  /** [offset of a time value, its group] */
  private readonly sites = new U32List();
  /** Times of spans placed by `_template.*` attributes (already relative): [offset, group]. */
  private readonly placedSites = new U32List();
  private readonly baseHi: number[] = [];
  private readonly baseLo: number[] = [];
  /** Whether any time is an absolute (recorded) one. */
  absolute = false;
  /** Traces only: templated, repaired and repeated spans. */
  checks: SpanChecks | undefined;

  constructor(private readonly buf: Buffer, private readonly source: string, private readonly opts: NormalizeOptions) {}

  traces(placed: Set<number>): void {
    const buf = this.buf;
    const copies = new TraceCopies(buf.length);
    const checks = (this.checks = new SpanChecks(buf, this.opts.byteOffsets === true));
    // Reused for every span: this walk visits every span of a template that may hold millions.
    const times: number[] = [];
    const r = new WireReader(buf);
    let count = 0;
    this.walk((path, s, e) => {
      count++;
      let traceAt = -1, traceLen = 0, spanAt = -1, spanLen = 0, parentLen = 0, startAt = -1, endAt = -1, templated = false;
      const where = () => `span ${JSON.stringify(stringField(buf, s, e, 5))} at resourceSpans[${path[0]}].scopeSpans[${path[1]}].spans[${path[2]}]`;
      times.length = 0;
      r.pos = s;
      r.end = e;
      while (r.pos < e) {
        const t = r.tag();
        // Attributes first: most of a span's fields are attributes.
        if (t === ATTRIBUTES_TAG) {
          const ae = r.len();
          if (!templated && hasTemplateKey(buf, r.pos, ae)) templated = true;
          r.pos = ae;
        } else if (t === START_TAG) times.push((startAt = r.advance(8)));
        else if (t === END_TAG) times.push((endAt = r.advance(8)));
        else if (t === TRACE_ID_TAG) {
          const end = r.len();
          traceAt = r.pos;
          traceLen = end - r.pos;
          r.pos = end;
        } else if (t === SPAN_ID_TAG) {
          const end = r.len();
          spanAt = r.pos;
          spanLen = end - r.pos;
          r.pos = end;
        } else if (t === PARENT_ID_TAG) parentLen = skipLen(r);
        else if (t === EVENTS_TAG) {
          const ee = r.len();
          fixedFields(buf, r.pos, ee, EVENT_TIME_TAG, times);
          r.pos = ee;
        } else if (t === LINKS_TAG) {
          const [ls, le] = r.bytes();
          this.checkLink(ls, le, s, e, where);
        } else r.skip(t & 7);
      }
      if (traceLen !== 16 || spanLen !== 8 || (parentLen !== 0 && parentLen !== 8)) {
        this.checkId(traceLen, 16, false, where, 'traceId');
        this.checkId(spanLen, 8, false, where, 'spanId');
        this.checkId(parentLen, 8, true, where, 'parentSpanId');
      }
      const group = copies.unit(buf, traceAt, spanLen === 8 ? spanAt : -1);
      if (copies.added) this.newGroup();
      if (copies.copy > 0) checks.repeated(s, where);
      if (placed.has(s)) {
        if (!this.opts.relativeTimes) for (const at of times) this.placedSites.push(at, group);
        return;
      }
      if (templated) {
        checks.templated.push({ start: s, end: e, where: where() });
        return;
      }
      checks.checkEnd(s, e, startAt, endAt, where);
      for (const at of times) this.time(at, group);
    });
    if (count === 0) throw new TemplateError('holds no spans', { file: this.source, code: 'ERR_TEMPLATE_EMPTY' });
  }

  /** Span links may leave ids out, but an id that is there must be 16 or 8 bytes. */
  private checkLink(ls: number, le: number, s: number, e: number, where: () => string): void {
    const buf = this.buf;
    const link = new WireReader(buf, ls, le);
    let lt = 0, lsp = 0;
    while (!link.done()) {
      const tt = link.tag();
      if (tt === L(1)) lt = skipLen(link);
      else if (tt === L(2)) lsp = skipLen(link);
      else link.skip(tt & 7);
    }
    if ((lt === 0 || lt === 16) && (lsp === 0 || lsp === 8)) return;
    const l = this.linkIndex(s, e, ls);
    this.checkId(lt, 16, true, where, `links[${l}].traceId`);
    this.checkId(lsp, 8, true, where, `links[${l}].spanId`);
  }

  /** Which of the span's links starts at `ls`, for messages. */
  private linkIndex(s: number, e: number, ls: number): number {
    let l = 0;
    eachField(this.buf, s, e, 13, (start) => {
      if (start < ls) l++;
    });
    return l;
  }

  metrics(): void {
    const buf = this.buf;
    this.newGroup();
    const times: number[] = [];
    let count = 0;
    this.walk((path, ms, me) => {
      const r = new WireReader(buf, ms, me);
      while (!r.done()) {
        const t = r.tag();
        const data = METRIC_DATA_TAGS[t];
        if (!data) {
          r.skip(t & 7);
          continue;
        }
        const [ds, de] = r.bytes();
        let p = 0;
        eachField(buf, ds, de, 1, (ps, pe) => {
          count++;
          const where = () => `metric ${JSON.stringify(stringField(buf, ms, me, 1))} at resourceMetrics[${path[0]}].scopeMetrics[${path[1]}].metrics[${path[2]}].${data[0]}.dataPoints[${p}]`;
          times.length = 0;
          let e = 0;
          const pr = new WireReader(buf, ps, pe);
          while (!pr.done()) {
            const pt = pr.tag();
            if (pt === T(2) || pt === T(3)) times.push(pr.advance(8));
            else if (pt === data[1]) {
              const [xs, xe] = pr.bytes();
              const ids = idLens(buf, xs, xe, L(5), L(4), T(2), times);
              this.checkId(ids[0], 16, true, where, `exemplars[${e}].traceId`);
              this.checkId(ids[1], 8, true, where, `exemplars[${e++}].spanId`);
            } else pr.skip(pt & 7);
          }
          for (const at of times) this.time(at, 0);
          p++;
        });
      }
    });
    if (count === 0) throw new TemplateError('holds no data points', { file: this.source, code: 'ERR_TEMPLATE_EMPTY' });
  }

  logs(): void {
    this.newGroup();
    const times: number[] = [];
    let count = 0;
    this.walk((path, s, e) => {
      count++;
      const where = () => `log record at resourceLogs[${path[0]}].scopeLogs[${path[1]}].logRecords[${path[2]}]`;
      times.length = 0;
      const ids = idLens(this.buf, s, e, L(9), L(10), T(1), times, T(11));
      this.checkId(ids[0], 16, true, where, 'traceId');
      this.checkId(ids[1], 8, true, where, 'spanId');
      for (const at of times) this.time(at, 0);
    });
    if (count === 0) throw new TemplateError('holds no log records', { file: this.source, code: 'ERR_TEMPLATE_EMPTY' });
  }

  /** Visits request → resource (1) → scope (2) → item (2), with the index path. */
  private walk(fn: (path: [number, number, number], s: number, e: number) => void): void {
    const buf = this.buf;
    const path: [number, number, number] = [0, 0, 0];
    eachField(buf, 0, buf.length, 1, (rs, re) => {
      path[1] = 0;
      eachField(buf, rs, re, 2, (ss, se) => {
        path[2] = 0;
        eachField(buf, ss, se, 2, (is, ie) => {
          fn(path, is, ie);
          path[2]++;
        });
        path[1]++;
      });
      path[0]++;
    });
  }

  private newGroup(): void {
    this.baseHi.push(Infinity);
    this.baseLo.push(0);
  }

  /** Notes the time at `at` for its group: the earliest non-zero one is the base. */
  private time(at: number, group: number): void {
    const lo = this.buf.readUInt32LE(at), hi = this.buf.readUInt32LE(at + 4);
    if (hi === 0 && lo === 0) return;
    if (hi > RELATIVE_HI || (hi === RELATIVE_HI && lo >= RELATIVE_LO)) this.absolute = true;
    if (hi < this.baseHi[group]! || (hi === this.baseHi[group] && lo < this.baseLo[group]!)) {
      this.baseHi[group] = hi;
      this.baseLo[group] = lo;
    }
    this.sites.push(at, group);
  }

  /**
   * Times kept as recorded: spans placed by `_template.*` attributes (relative offsets)
   * move onto their trace copy's recorded start, as rebasing would have placed them.
   */
  placeOnRecordedStart(): void {
    const sites = this.placedSites.freeze();
    for (let k = 0; k < sites.length; k += 2) {
      const at = sites[k]!, g = sites[k + 1]!;
      const baseHi = this.baseHi[g]!, baseLo = this.baseLo[g]!;
      if (baseHi === Infinity || baseHi < RELATIVE_HI || (baseHi === RELATIVE_HI && baseLo < RELATIVE_LO)) continue;
      const rel = this.buf.readUInt32LE(at + 4) * TWO32 + this.buf.readUInt32LE(at);
      const sumLo = baseLo + (rel % TWO32);
      this.buf.writeUInt32LE(sumLo % TWO32, at);
      this.buf.writeUInt32LE(baseHi + Math.floor(rel / TWO32) + Math.floor(sumLo / TWO32), at + 4);
    }
  }

  /** Recorded (absolute) data: every non-zero time becomes its offset from its group's base. */
  rebase(scope: string): void {
    if (!this.absolute) return;
    const sites = this.sites.freeze();
    for (let k = 0; k < sites.length; k += 2) {
      const at = sites[k]!, g = sites[k + 1]!;
      const n = (this.buf.readUInt32LE(at + 4) - this.baseHi[g]!) * TWO32 + (this.buf.readUInt32LE(at) - this.baseLo[g]!);
      if (n > Number.MAX_SAFE_INTEGER) {
        throw new TemplateError(`times in one ${scope} span more than 2^53 ns (~104 days); cannot be a template (a pipeline without the timestamp processor sends recorded times as they are)`, { file: this.source, code: 'ERR_TEMPLATE_MALFORMED' });
      }
      writeFixed64(this.buf, at, n);
    }
  }

  private checkId(len: number, bytes: number, optional: boolean, where: () => string, field: string): void {
    if (len === bytes || (optional && len === 0)) return;
    const problem = len === 0 ? 'is missing' : `has ${len} bytes`;
    throw new TemplateError(`${where()}: ${field} ${problem}, expected ${bytes} bytes${optional ? ' or empty' : ''}`, {
      file: this.source,
      code: 'ERR_TEMPLATE_MALFORMED',
    });
  }
}
