import { FIXED64, LEN, SPAN, tag } from '../otlp/wire/fields.js';
import { IdTable, isZeroId, read32 } from '../otlp/wire/id-table.js';
import { WireReader } from '../otlp/wire/reader.js';
import { U32List } from '../otlp/wire/u32-list.js';
import { F64List, SignalStats, spread, TWO32 } from './signal-stats.js';

const TRACE_ID = tag(SPAN.traceId, LEN);
const SPAN_ID = tag(SPAN.spanId, LEN);
const PARENT_ID = tag(SPAN.parentSpanId, LEN);
const START = tag(SPAN.start, FIXED64);
const END = tag(SPAN.end, FIXED64);

/**
 * Spans, traces and their problems, in one pass with typed-array tables: per trace its
 * span count and time extent (ns from the first time seen, exact below ~104 days), per
 * (trace, span id) whether it was seen, and every parent link, checked at the end.
 */
export class TraceStats extends SignalStats {
  readonly signal = 'traces';
  readonly #traces = new IdTable(4);
  readonly #spans = new IdTable(4);
  readonly #parents = new U32List();
  readonly #spanCount = new F64List();
  readonly #first = new F64List();
  readonly #last = new F64List();
  readonly #key = new Uint32Array(4);
  readonly #keyBytes = new Uint8Array(this.#key.buffer);
  #r = new WireReader(new Uint8Array(0));
  #baseHi = -1;
  #baseLo = 0;
  roots = 0;
  duplicateSpanIds = 0;
  endBeforeStart = 0;
  badIds = 0;

  protected item(buf: Uint8Array, s: number, e: number): void {
    this.events++;
    if (this.#r.buf !== buf) this.#r = new WireReader(buf);
    const r = this.#r;
    r.pos = s;
    r.end = e;
    let traceAt = -1, spanAt = -1, parentAt = -1, parentLen = 0, startAt = -1, endAt = -1;
    while (r.pos < e) {
      const t = r.tag();
      if (t === START) this.time(buf, (startAt = r.advance(8)));
      else if (t === END) this.time(buf, (endAt = r.advance(8)));
      else if (t === TRACE_ID || t === SPAN_ID || t === PARENT_ID) {
        const end = r.len();
        const len = end - r.pos;
        if (t === TRACE_ID) traceAt = len === 16 ? r.pos : -1;
        else if (t === SPAN_ID) spanAt = len === 8 ? r.pos : -1;
        else {
          parentAt = r.pos;
          parentLen = len;
        }
        r.pos = end;
      } else r.skip(t & 7);
    }
    const start = startAt < 0 ? undefined : this.#offset(buf, startAt);
    const end = endAt < 0 ? undefined : this.#offset(buf, endAt);
    if (start !== undefined && end !== undefined && end < start) this.endBeforeStart++;
    if (traceAt < 0 || spanAt < 0 || isZeroId(buf, traceAt, 16) || isZeroId(buf, spanAt, 8) || (parentLen !== 0 && parentLen !== 8)) {
      this.badIds++;
      return;
    }
    const trace = this.#traces.index(buf, traceAt);
    this.#spanCount.ensure(trace, 0);
    this.#first.ensure(trace, Infinity);
    this.#last.ensure(trace, -Infinity);
    this.#spanCount.data[trace]!++;
    this.#extend(trace, start);
    this.#extend(trace, end);
    this.#key[0] = trace;
    this.#key[1] = read32(buf, spanAt);
    this.#key[2] = read32(buf, spanAt + 4);
    this.#spans.index(this.#keyBytes, 0);
    if (!this.#spans.added) this.duplicateSpanIds++;
    if (parentLen === 8 && !isZeroId(buf, parentAt, 8)) this.#parents.push(trace, read32(buf, parentAt), read32(buf, parentAt + 4));
    else this.roots++;
  }

  #extend(trace: number, t: number | undefined): void {
    if (t === undefined) return;
    if (t < this.#first.data[trace]!) this.#first.data[trace] = t;
    if (t > this.#last.data[trace]!) this.#last.data[trace] = t;
  }

  /** ns from the first time seen; undefined for an unset (zero) time. */
  #offset(buf: Uint8Array, at: number): number | undefined {
    const hi = read32(buf, at + 4), lo = read32(buf, at);
    if (hi === 0 && lo === 0) return undefined;
    if (this.#baseHi < 0) {
      this.#baseHi = hi;
      this.#baseLo = lo;
    }
    return (hi - this.#baseHi) * TWO32 + (lo - this.#baseLo);
  }

  details() {
    const parents = this.#parents.freeze();
    let orphans = 0;
    // Every span is in the table by now: a parent that adds itself was never seen as a span.
    for (let k = 0; k < parents.length; k += 3) {
      this.#key[0] = parents[k]!;
      this.#key[1] = parents[k + 1]!;
      this.#key[2] = parents[k + 2]!;
      this.#spans.index(this.#keyBytes, 0);
      if (this.#spans.added) orphans++;
    }
    const traces = this.#traces.size;
    const durations = new Float64Array(traces);
    for (let i = 0; i < traces; i++) {
      const d = this.#last.data[i]! - this.#first.data[i]!;
      durations[i] = Number.isFinite(d) ? d / 1e6 : 0;
    }
    return {
      figures: {
        traces,
        rootSpans: this.roots,
        spansPerTrace: spread(Float64Array.from(this.#spanCount.values())),
        traceDurationMs: spread(durations),
      },
      problems: { orphanParents: orphans, duplicateSpanIds: this.duplicateSpanIds, endBeforeStart: this.endBeforeStart, badIds: this.badIds },
    };
  }
}
