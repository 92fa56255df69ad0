/**
 * Metrics continuity, compile side (timestamp's `continuity`): which data points belong to
 * one series, how each series' values move from cycle to cycle, and where its start
 * times go. A series is resource + scope + metric name (and data kind) + point
 * attributes, as a backend keys it. The stamper reads the result once per cycle
 * (src/stamp/continuity.ts); nothing here runs per send.
 */
import { LEN, METRIC, METRIC_DATA_BY_FIELD, METRIC_DATA_FIELD, METRIC_TEMPORALITY, SCOPES, SUM_MONOTONIC, tag, TEMPORALITY_DELTA, VARINT } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import { V_DOUBLE, V_INT } from './value-sites.js';
import type { Container, TemplateIndex } from './template-index.js';

/** How a point's start time and values move: gauges wander, cumulative points grow from one start, delta points chain. */
export const GAUGE = 0, CUMULATIVE = 1, DELTA = 2;
/** What a value site does per cycle: stays, grows by its increment, or walks within its range. */
export const KEEP = 0, GROW = 1, WALK = 2;

export interface MetricContinuity {
  /** Points are time units 0..points−1 (in template order); unit points + u holds point u's start time. */
  points: number;
  pointKind: Uint8Array;
  /** Per point: the previous point of its series in the template (−1 for its first), and its series' last point. */
  prevPoint: Int32Array;
  lastPoint: Int32Array;
  /** Per point: the first point of its series (a cumulative series keeps that point's start). */
  firstPoint: Int32Array;
  /** Per point: relative start and time (ns). */
  relStart: Float64Array;
  relTime: Float64Array;
  /** Latest − earliest point time in the template (ns): a cycle advances at least this plus the interval. */
  spanNs: number;
  /** Per value slot (one per value site): its encoding (V_*), mode, template value, increment per cycle, range. */
  slotKind: Uint8Array;
  slotMode: Uint8Array;
  slotValue: Float64Array;
  slotInc: Float64Array;
  slotMin: Float64Array;
  slotMax: Float64Array;
}

const CHILD = tag(SCOPES, LEN);
const NAME = tag(METRIC.name, LEN);

/** Collects, while frames are written, each point's times and value sites; `finish` resolves series. */
export class SeriesTable {
  private readonly n: number;
  private readonly series: Int32Array;
  private readonly kind: Uint8Array;
  private readonly monotonic: Uint8Array;
  private readonly relStart: Float64Array;
  private readonly relTime: Float64Array;
  private readonly slotUnit: number[] = [];
  private readonly slotKind: number[] = [];
  private readonly slotRole: number[] = [];
  private readonly slotValue: number[] = [];
  /** Occurrences of each value tag in the point being written (repeated fields: bucket k). */
  private roleUnit = -1;
  private readonly roleCount = new Map<number, number>();

  constructor(index: TemplateIndex) {
    const n = (this.n = index.count);
    this.series = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.monotonic = new Uint8Array(n);
    this.relStart = new Float64Array(n);
    this.relTime = new Float64Array(n);
    const keys = new Map<string, number>();
    const headers = new Map<Container, string>();
    const header = (c: Container, skip: (t: number) => boolean): string => {
      let h = headers.get(c);
      if (h === undefined) headers.set(c, (h = fieldsKey(index.inputs[c.input]!.bytes, c.start, c.end, skip)));
      return h;
    };
    for (let i = 0; i < n; i++) {
      const m = index.metrics[index.metric(i)]!;
      const buf = index.inputs[m.input]!.bytes;
      const field = m.dataTag >>> 3;
      const attrs = tag(METRIC_DATA_BY_FIELD.get(field)!.attributes, LEN);
      const key = [
        header(index.resources[index.resource(i)]!, (t) => t === CHILD), header(index.scopes[index.scope(i)]!, (t) => t === CHILD),
        header(m, (t) => t !== NAME), String(field), fieldsKey(buf, index.start(i), index.end(i), (t) => t !== attrs),
      ].join('\u0000');
      let s = keys.get(key);
      if (s === undefined) keys.set(key, (s = keys.size));
      this.series[i] = s;
      const { temporality, monotonic } = dataHeader(buf, m.dataStart, m.dataEnd);
      this.kind[i] = field === METRIC_DATA_FIELD.gauge ? GAUGE : temporality === TEMPORALITY_DELTA ? DELTA : CUMULATIVE;
      this.monotonic[i] = monotonic ? 1 : 0;
    }
  }

  /** The unit a time site of point `unit` is stamped with: its start (field 0) gets the point's start unit. */
  time(unit: number, rel: number, field: number): number {
    if (field === 0) {
      this.relStart[unit] = rel;
      return this.n + unit;
    }
    if (field === 1) this.relTime[unit] = rel;
    return unit;
  }

  /** Records a value site of point `unit`; returns its slot. */
  value(unit: number, kind: number, valueTag: number, value: number): number {
    if (unit !== this.roleUnit) {
      this.roleUnit = unit;
      this.roleCount.clear();
    }
    const k = this.roleCount.get(valueTag) ?? 0;
    this.roleCount.set(valueTag, k + 1);
    this.slotUnit.push(unit);
    this.slotKind.push(kind);
    this.slotRole.push(valueTag * 65536 + k);
    this.slotValue.push(value);
    return this.slotUnit.length - 1;
  }

  finish(): MetricContinuity {
    const n = this.n;
    const prevPoint = new Int32Array(n).fill(-1);
    const firstPoint = new Int32Array(n);
    const lastPoint = new Int32Array(n);
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    for (let u = 0; u < n; u++) {
      const s = this.series[u]!;
      const before = last.get(s);
      if (before !== undefined) prevPoint[u] = before;
      if (!first.has(s)) first.set(s, u);
      last.set(s, u);
    }
    let lo = Infinity, hi = -Infinity;
    for (let u = 0; u < n; u++) {
      const s = this.series[u]!;
      firstPoint[u] = first.get(s)!;
      lastPoint[u] = last.get(s)!;
      lo = Math.min(lo, this.relTime[u]!);
      hi = Math.max(hi, this.relTime[u]!);
    }
    // Role values per series, to derive increments (last − first) and gauge ranges.
    const roleKey = (u: number, role: number): string => `${this.series[u]}:${role}`;
    const atPoint = new Map<string, number>();
    const range = new Map<string, [number, number]>();
    for (let k = 0; k < this.slotUnit.length; k++) {
      const u = this.slotUnit[k]!, role = this.slotRole[k]!, v = this.slotValue[k]!;
      atPoint.set(`${u}:${role}`, v);
      const key = roleKey(u, role);
      const r = range.get(key);
      if (r) range.set(key, [Math.min(r[0], v), Math.max(r[1], v)]);
      else range.set(key, [v, v]);
    }
    const slots = this.slotUnit.length;
    const c: MetricContinuity = {
      points: n, pointKind: this.kind, prevPoint, lastPoint, firstPoint, relStart: this.relStart, relTime: this.relTime,
      spanNs: n > 0 ? hi - lo : 0,
      slotKind: Uint8Array.from(this.slotKind), slotMode: new Uint8Array(slots), slotValue: Float64Array.from(this.slotValue),
      slotInc: new Float64Array(slots), slotMin: new Float64Array(slots), slotMax: new Float64Array(slots),
    };
    for (let k = 0; k < slots; k++) {
      const u = this.slotUnit[k]!, role = this.slotRole[k]!, kind = this.slotKind[k]!;
      const [min, max] = range.get(roleKey(u, role))!;
      c.slotMin[k] = min;
      c.slotMax[k] = max;
      if (this.kind[u] === GAUGE) c.slotMode[k] = WALK;
      else if (this.kind[u] === DELTA) c.slotMode[k] = KEEP;
      else {
        c.slotMode[k] = GROW;
        const a = firstPoint[u]!, b = lastPoint[u]!;
        let inc = a === b ? this.slotValue[k]! : (atPoint.get(`${b}:${role}`) ?? 0) - (atPoint.get(`${a}:${role}`) ?? 0);
        // Counts and monotonic sums never decrease; an up-down counter's value may.
        const counts = kind !== V_DOUBLE && kind !== V_INT;
        if (counts || this.monotonic[u]) inc = Math.max(0, inc);
        c.slotInc[k] = inc;
      }
    }
    return c;
  }
}

/** The bytes of the fields in [start, end) that `skip` does not exclude, as a map key. */
function fieldsKey(buf: Uint8Array, start: number, end: number, skip: (t: number) => boolean): string {
  const r = new WireReader(buf, start, end);
  let key = '';
  while (!r.done()) {
    const at = r.pos;
    const t = r.tag();
    r.skip(t & 7);
    if (!skip(t)) key += Buffer.from(buf.buffer, buf.byteOffset + at, r.pos - at).toString('latin1');
  }
  return key;
}

const TEMPORALITY_TAG = tag(METRIC_TEMPORALITY, VARINT);
const MONOTONIC_TAG = tag(SUM_MONOTONIC, VARINT);

/** A metric data field's aggregation temporality and is_monotonic (0 and false when absent). */
function dataHeader(buf: Uint8Array, start: number, end: number): { temporality: number; monotonic: boolean } {
  const r = new WireReader(buf, start, end);
  let temporality = 0, monotonic = false;
  while (!r.done()) {
    const t = r.tag();
    if (t === TEMPORALITY_TAG) temporality = r.varint();
    else if (t === MONOTONIC_TAG) monotonic = r.varint() !== 0;
    else r.skip(t & 7);
  }
  return { temporality, monotonic };
}
