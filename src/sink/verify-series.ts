/**
 * The sink's per-series metric checks (`--verify`): what a Prometheus-style backend
 * rejects or misreads when a replay does not behave like live metrics. A series is
 * resource + scope + metric name (and data kind) + point attributes, as sent; per series
 * it remembers the last point's start, time and value, and counts:
 * - `series_start_changed`: a cumulative point (sum, histogram, exponential histogram,
 *   summary) whose start time differs from the series' previous point's: a reset;
 * - `counter_decrease`: a monotonic cumulative sum, or a cumulative count, lower than
 *   the series' previous point's;
 * - `duplicate_series_time`: a point at the same time as the series' previous point;
 * - `series_time_backwards`: a point before the series' previous point (out of order).
 * Memory is bounded: series are kept by a 53-bit hash of their identity in a map of at
 * most `capacity` entries, least recently seen evicted first; the report says how many
 * were evicted (a series seen again after eviction starts afresh, so checks can miss).
 */
import { FIXED64, LEN, METRIC, METRIC_DATA_BY_FIELD, METRIC_DATA_FIELD, METRIC_TEMPORALITY, NUMBER_POINT, POINT, SUM_MONOTONIC, tag, TEMPORALITY_DELTA, VARINT } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';

export type SeriesProblemKind = 'series_start_changed' | 'counter_decrease' | 'duplicate_series_time' | 'series_time_backwards';

export interface SeriesWindowReport {
  /** Series remembered now, the most that are, and how many were dropped to stay within it. */
  tracked: number;
  capacity: number;
  evicted: number;
}

/** Reports one problem: its kind, the metric's name and what was seen. */
export type SeriesProblem = (kind: SeriesProblemKind, metric: string, message: string) => void;

interface Last {
  startHi: number;
  startLo: number;
  timeHi: number;
  timeLo: number;
  /** The value a decrease is checked on (NaN: none). */
  value: number;
}

const L1 = tag(1, LEN), L2 = tag(2, LEN);
const NAME = tag(METRIC.name, LEN);
const START = tag(POINT.start, FIXED64), TIME = tag(POINT.time, FIXED64);
const AS_DOUBLE = tag(NUMBER_POINT.asDouble, FIXED64), AS_INT = tag(NUMBER_POINT.asInt, FIXED64);
/** Histogram, exponential histogram and summary points: count is field 4, fixed64. */
const COUNT = tag(4, FIXED64);
const TEMPORALITY = tag(METRIC_TEMPORALITY, VARINT), MONOTONIC = tag(SUM_MONOTONIC, VARINT);
const TWO32 = 4294967296;

export class SeriesVerifier {
  readonly capacity: number;
  private readonly series = new Map<number, Last>();
  private evicted = 0;
  private readonly problem: SeriesProblem;
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(capacity: number, problem: SeriesProblem) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`verify series window must be an integer ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    this.problem = problem;
  }

  /** Checks every point of an encoded ExportMetricsServiceRequest (already checked against the schema). */
  checkRequest(buf: Uint8Array): void {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const r = new WireReader(buf);
    each(r, L1, (rs, re) => {
      const resource = hashFields(buf, rs, re, L2, SEED_A);
      each(new WireReader(buf, rs, re), L2, (ss, se) => {
        const scope = hashFields(buf, ss, se, L2, resource);
        each(new WireReader(buf, ss, se), L2, (ms, me) => this.metric(buf, ms, me, scope));
      });
    });
  }

  report(): SeriesWindowReport {
    return { tracked: this.series.size, capacity: this.capacity, evicted: this.evicted };
  }

  private metric(buf: Uint8Array, ms: number, me: number, scope: number): void {
    let name: [number, number] = [ms, ms];
    let data: [number, number, number] | undefined;
    const r = new WireReader(buf, ms, me);
    while (!r.done()) {
      const t = r.tag();
      if (t === NAME) name = r.bytes();
      else if ((t & 7) === LEN && METRIC_DATA_BY_FIELD.has(t >>> 3)) data = [t >>> 3, ...r.bytes()];
      else r.skip(t & 7);
    }
    if (!data) return;
    const [field, ds, de] = data;
    const metric = hashRange(buf, name[0], name[1], scope + field);
    let temporality = 0, monotonic = false;
    const h = new WireReader(buf, ds, de);
    while (!h.done()) {
      const t = h.tag();
      if (t === TEMPORALITY) temporality = h.varint();
      else if (t === MONOTONIC) monotonic = h.varint() !== 0;
      else h.skip(t & 7);
    }
    // Summaries have no temporality: their points are cumulative.
    const cumulative = field === METRIC_DATA_FIELD.summary || (field !== METRIC_DATA_FIELD.gauge && temporality !== TEMPORALITY_DELTA && temporality !== 0);
    const counted = cumulative && (field === METRIC_DATA_FIELD.sum ? monotonic : true);
    const attrs = tag(METRIC_DATA_BY_FIELD.get(field)!.attributes, LEN);
    const metricName = (): string => Buffer.from(buf.buffer, buf.byteOffset + name[0], name[1] - name[0]).toString('utf8');
    each(new WireReader(buf, ds, de), tag(1, LEN), (ps, pe) => this.point(buf, ps, pe, metric, attrs, field, cumulative, counted, metricName));
  }

  private point(buf: Uint8Array, ps: number, pe: number, metric: number, attrs: number, field: number, cumulative: boolean, counted: boolean, name: () => string): void {
    let key = metric;
    let startHi = 0, startLo = 0, timeHi = 0, timeLo = 0;
    let value = NaN;
    const dv = this.view;
    const r = new WireReader(buf, ps, pe);
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      r.skip(t & 7);
      if (t === attrs) key = hashRange(buf, at, r.pos, key);
      else if (t === START) [startLo, startHi] = [dv.getUint32(r.pos - 8, true), dv.getUint32(r.pos - 4, true)];
      else if (t === TIME) [timeLo, timeHi] = [dv.getUint32(r.pos - 8, true), dv.getUint32(r.pos - 4, true)];
      else if (field === METRIC_DATA_FIELD.sum || field === METRIC_DATA_FIELD.gauge) {
        if (t === AS_DOUBLE) value = dv.getFloat64(r.pos - 8, true);
        else if (t === AS_INT) value = Number(dv.getBigInt64(r.pos - 8, true));
      } else if (t === COUNT) value = dv.getUint32(r.pos - 4, true) * TWO32 + dv.getUint32(r.pos - 8, true);
    }
    const last = this.series.get(key);
    if (!last) {
      this.remember(key, { startHi, startLo, timeHi, timeLo, value });
      return;
    }
    // Least recently seen first: move it to the end.
    this.series.delete(key);
    this.series.set(key, last);
    const order = timeHi - last.timeHi || timeLo - last.timeLo;
    if (order === 0) this.problem('duplicate_series_time', name(), `a second point at ${big(timeHi, timeLo)}`);
    else if (order < 0) this.problem('series_time_backwards', name(), `point at ${big(timeHi, timeLo)} after one at ${big(last.timeHi, last.timeLo)}`);
    if (cumulative && (startHi !== last.startHi || startLo !== last.startLo)) {
      this.problem('series_start_changed', name(), `start ${big(startHi, startLo)} after ${big(last.startHi, last.startLo)}`);
    }
    if (counted && value < last.value) this.problem('counter_decrease', name(), `${value} after ${last.value}`);
    last.startHi = startHi;
    last.startLo = startLo;
    last.timeHi = timeHi;
    last.timeLo = timeLo;
    last.value = value;
  }

  private remember(key: number, last: Last): void {
    if (this.series.size >= this.capacity) {
      this.series.delete(this.series.keys().next().value!);
      this.evicted++;
    }
    this.series.set(key, last);
  }
}

/** Calls fn with the payload of every `want` field of the message at r. */
function each(r: WireReader, want: number, fn: (s: number, e: number) => void): void {
  while (!r.done()) {
    const t = r.tag();
    if (t === want) fn(...r.bytes());
    else r.skip(t & 7);
  }
}

const SEED_A = 0x2545f491;

/** Hash of a message's fields but the `skip` ones (its children): a resource's or scope's identity. */
function hashFields(buf: Uint8Array, start: number, end: number, skip: number, h: number): number {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    r.skip(t & 7);
    if (t !== skip) h = hashRange(buf, at, r.pos, h);
  }
  return h;
}

/**
 * Two 32-bit FNV-1a lanes folded into 53 bits, chained through `h`: collisions among a
 * million series are a ~10⁻⁴ chance, and a collision only merges two series' checks.
 */
function hashRange(buf: Uint8Array, start: number, end: number, h: number): number {
  let a = (h ^ 0x811c9dc5) >>> 0;
  let b = (Math.floor(h / TWO32) ^ 0x9e3779b9 ^ (end - start)) >>> 0;
  for (let i = start; i < end; i++) {
    a = Math.imul(a ^ buf[i]!, 0x01000193);
    b = Math.imul(b ^ buf[i]!, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return ((b >>> 0) & 0x1fffff) * TWO32 + (a >>> 0);
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}
