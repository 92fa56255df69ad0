import { TemplateError, WireError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { CONTAINER_PREFIX, type PackItems } from './packer.js';
import { expectedSpans, TraceCopies } from '../otlp/wire/trace-copies.js';
import { isZeroId } from '../otlp/wire/id-table.js';
import { badTimeAt, LOG_RECORD_SPEC, measure, measuredParentIdAt, measuredSpanIdAt, measuredTraceIdAt, type MessageSpec, POINT_BY_DATA_FIELD, SPAN_SPEC, VALUE_POINT_BY_DATA_FIELD } from './item-rewrite.js';
import { eachField, stringField, WireReader } from '../otlp/wire/reader.js';
import { fixed64Text } from '../otlp/wire/write.js';
import { DATA_POINTS, ITEMS, LEN, METRIC, METRIC_DATA, RESOURCES, SCOPES, SPAN, tag } from '../otlp/wire/fields.js';

/**
 * One pass over the encoded templates of a compile: where every item (span, log record,
 * data point) lives, its size once rewritten, its time unit and its containers. Items
 * are kept as offsets into the template bytes in typed arrays, never as objects.
 */

/** Raw tags of Metric's data fields (gauge, sum, …). */
export const METRIC_DATA_TAGS = new Set(METRIC_DATA.map((d) => tag(d.field, LEN)));

export interface IndexInput {
  bytes: Uint8Array;
  source: string;
}

/** An input as the index keeps it: a reader and a DataView over its bytes, made once and reused for every item (measure, emit). */
export interface IndexedInput extends IndexInput {
  reader: WireReader;
  view: DataView;
}

/** A container: its bytes and the range of its payload. */
export interface Container {
  input: number;
  start: number;
  end: number;
  /** Its header (every field but its children) as byte ranges [start, end, start, end, …]: what a frame copies of it. */
  runs: number[];
}

export interface MetricContainer extends Container {
  /** Raw tag and payload range of the data field (gauge, sum, …) whose points are items. */
  dataTag: number;
  dataStart: number;
  dataEnd: number;
  /** Bytes of the metric's fields but the data field, and of the data field's but its points. */
  header: number;
  dataHeader: number;
  /** The data field's header (everything but its points) as byte ranges, as `runs`. */
  dataRuns: number[];
}

/**
 * Per-item fields, one row of `stride` words per item (an item's fields share a cache
 * line, and a row is one capacity check): spans have the id fields too.
 */
const INPUT = 0, START = 1, END = 2, RES = 3, SCOPE = 4, METRIC_ = 5, SIZE = 6, UNIT = 7, COPY = 8;
const TRACE_AT = 9, TRACE_ID = 10, SPAN_AT = 11, SPAN_ID = 12, PARENT_AT = 13, PARENT_ID = 14;
const ITEM_FIELDS = 9, SPAN_FIELDS = 15;

export class TemplateIndex implements PackItems {
  readonly resources: Container[] = [];
  readonly scopes: Container[] = [];
  readonly metrics: MetricContainer[] = [];
  readonly headerBytes: [number[], number[], number[]] = [[], [], []];
  /**
   * Per item: input, payload range, containers, rewritten size, time unit, trace copy (0
   * but for spans); per span also its own trace id's, span id's and parent span id's
   * offsets (-1: none) and their indexes in `traceCopies`' tables.
   */
  private items: Int32Array;
  private readonly stride: number;
  private n = 0;
  /** Items grouped for packing: one trace copy, or a single log record or data point. */
  readonly chunks: number[][] = [];
  /** Per input: its items, in order. */
  readonly inputItems: [first: number, end: number][] = [];
  /** Per input: its resources (indexes into `resources`), in order. */
  readonly inputResources: [first: number, end: number][] = [];
  unitCount = 0;
  /** Spans' trace copies; its tables intern every span's trace id and span id (the compiler's id groups reuse them). */
  readonly traceCopies: TraceCopies;

  readonly inputs: IndexedInput[];

  /** `always`: times are stamped (see measure); `values`: data points report value sites (metrics continuity). */
  constructor(readonly signal: Signal, inputs: IndexInput[], private readonly always: boolean, private readonly values = false) {
    // Plain views: a Buffer's subarray (taken per copied run) costs several times more.
    this.inputs = inputs.map(({ bytes, source }) => {
      const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { bytes: plain, source, reader: new WireReader(plain), view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    });
    const spanBytes = signal === 'traces' ? inputs.reduce((n, i) => n + i.bytes.length, 0) : 0;
    this.traceCopies = new TraceCopies(spanBytes);
    this.stride = signal === 'traces' ? SPAN_FIELDS : ITEM_FIELDS;
    this.items = new Int32Array(Math.max(1024, expectedSpans(spanBytes)) * this.stride);
    for (let i = 0; i < inputs.length; i++) {
      const first = this.n;
      const firstResource = this.resources.length;
      this.scan(i);
      this.inputItems.push([first, this.n]);
      this.inputResources.push([firstResource, this.resources.length]);
    }
  }

  get count(): number {
    return this.n;
  }
  input(i: number): number { return this.items[i * this.stride + INPUT]!; }
  start(i: number): number { return this.items[i * this.stride + START]!; }
  end(i: number): number { return this.items[i * this.stride + END]!; }
  resource(i: number): number { return this.items[i * this.stride + RES]!; }
  scope(i: number): number { return this.items[i * this.stride + SCOPE]!; }
  metric(i: number): number { return this.items[i * this.stride + METRIC_]!; }
  size(i: number): number { return this.items[i * this.stride + SIZE]!; }
  unit(i: number): number { return this.items[i * this.stride + UNIT]!; }
  copy(i: number): number { return this.items[i * this.stride + COPY]!; }
  /** Span i's own trace id: its offset and its index in `traceCopies.traces`. */
  traceAt(i: number): number { return this.items[i * this.stride + TRACE_AT]!; }
  traceId(i: number): number { return this.items[i * this.stride + TRACE_ID]!; }
  /** Span i's own (non-zero) span id: its offset (-1: none) and its index in `traceCopies.spanIds`. */
  spanAt(i: number): number { return this.items[i * this.stride + SPAN_AT]!; }
  spanId(i: number): number { return this.items[i * this.stride + SPAN_ID]!; }
  /** Span i's (non-zero) parent span id: its offset (-1: none) and its index in `traceCopies.spanIds`. */
  parentAt(i: number): number { return this.items[i * this.stride + PARENT_AT]!; }
  parentId(i: number): number { return this.items[i * this.stride + PARENT_ID]!; }
  source(i: number): string { return this.inputs[this.input(i)]!.source; }

  /** The spec an item is rewritten with. */
  spec(i: number, metric = this.metric(i)): MessageSpec {
    if (this.signal === 'traces') return SPAN_SPEC;
    if (this.signal === 'logs') return LOG_RECORD_SPEC;
    return (this.values ? VALUE_POINT_BY_DATA_FIELD : POINT_BY_DATA_FIELD).get(this.metrics[metric]!.dataTag >>> 3)!;
  }

  /** One walk over an input: containers' headers are measured on the way to their children. */
  private scan(input: number): void {
    const buf = this.inputs[input]!.bytes;
    eachField(buf, 0, buf.length, RESOURCES, (rs, re) => {
      const resource: Container = { input, start: rs, end: re, runs: [] };
      const r = this.resources.push(resource) - 1;
      resource.runs = children(buf, rs, re, SCOPES, (ss, se) => {
        const scope: Container = { input, start: ss, end: se, runs: [] };
        const s = this.scopes.push(scope) - 1;
        scope.runs = children(buf, ss, se, ITEMS, (is, ie) => {
          if (this.signal === 'metrics') this.metricItems(input, r, s, is, ie);
          else this.item(input, r, s, -1, is, ie);
        });
        this.headerBytes[1][s] = runsLength(scope.runs) + CONTAINER_PREFIX;
      });
      this.headerBytes[0][r] = runsLength(resource.runs) + CONTAINER_PREFIX;
    });
  }

  private metricItems(input: number, r: number, s: number, ms: number, me: number): void {
    const buf = this.inputs[input]!.bytes;
    // The last data field wins, as protobuf decoders read a oneof.
    let data: [number, number, number] | undefined;
    const runs: number[] = [];
    let run = ms;
    const rd = new WireReader(buf, ms, me);
    while (!rd.done()) {
      const at = rd.pos;
      const t = rd.tag();
      if (!METRIC_DATA_TAGS.has(t)) {
        rd.skip(t & 7);
        continue;
      }
      data = [t, ...rd.bytes()];
      if (at > run) runs.push(run, at);
      run = rd.pos;
    }
    if (!data) return;
    if (me > run) runs.push(run, me);
    const [dataTag, ds, de] = data;
    const metric: MetricContainer = { input, start: ms, end: me, runs, dataTag, dataStart: ds, dataEnd: de, header: runsLength(runs), dataHeader: 0, dataRuns: [] };
    const m = this.metrics.push(metric) - 1;
    metric.dataRuns = children(buf, ds, de, DATA_POINTS, (ps, pe) => this.item(input, r, s, m, ps, pe));
    metric.dataHeader = runsLength(metric.dataRuns);
    this.headerBytes[2][m] = metric.header + metric.dataHeader + 2 * CONTAINER_PREFIX;
  }

  /** Indexes one item; its time unit is its trace copy (spans) or itself. */
  private item(input: number, r: number, s: number, m: number, start: number, end: number): void {
    const i = this.n++;
    const row = i * this.stride;
    if (row + this.stride > this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const items = this.items;
    items[row + INPUT] = input;
    items[row + START] = start;
    items[row + END] = end;
    items[row + RES] = r;
    items[row + SCOPE] = s;
    items[row + METRIC_] = m;
    const buf = this.inputs[input]!.bytes;
    const size = measure(this.spec(i, m), this.inputs[input]!.reader, start, end, this.always);
    if (this.signal === 'traces') {
      // measure found the ids, unless it stopped early at a bad time (then an error follows)
      const traceAt = size < 0 ? traceIdAt(buf, start, end) : measuredTraceIdAt;
      if (traceAt < 0) {
        throw new TemplateError(`span ${JSON.stringify(stringField(buf, start, end, SPAN.name))} has no 16-byte trace id`, { file: this.inputs[input]!.source, code: 'ERR_TEMPLATE_BAD_ID' });
      }
      const spanAt = size < 0 ? -1 : measuredSpanIdAt;
      const parentAt = size < 0 || measuredParentIdAt < 0 || isZeroId(buf, measuredParentIdAt, 8) ? -1 : measuredParentIdAt;
      const copies = this.traceCopies;
      items[row + UNIT] = this.traceUnit(buf, traceAt, spanAt, i);
      items[row + COPY] = copies.copy;
      items[row + TRACE_AT] = traceAt;
      items[row + TRACE_ID] = copies.trace;
      items[row + SPAN_AT] = copies.spanId < 0 ? -1 : spanAt;
      items[row + SPAN_ID] = copies.spanId;
      items[row + PARENT_AT] = parentAt;
      items[row + PARENT_ID] = parentAt < 0 ? -1 : copies.parent(buf, parentAt);
    } else {
      items[row + UNIT] = this.unitCount++;
      items[row + COPY] = 0;
    }
    if (size < 0) {
      throw new TemplateError(`${this.describe(i)} time ${fixed64Text(buf, badTimeAt)} is not a relative time (integer ns in [0, 2^53))`, {
        file: this.inputs[input]!.source, code: 'ERR_TEMPLATE_TIME',
      });
    }
    items[row + SIZE] = size;
  }

  /** Trace unit of span `i`: one per trace copy; copies are packed whole when they fit. */
  private traceUnit(buf: Uint8Array, traceAt: number, spanAt: number, i: number): number {
    const unit = this.traceCopies.unit(buf, traceAt, spanAt);
    if (this.traceCopies.added) {
      this.unitCount++;
      this.chunks.push([i]);
    } else {
      this.chunks[unit]!.push(i);
    }
    return unit;
  }

  /** Chunks for packing: traces, or one chunk per item. */
  packChunks(): Iterable<ArrayLike<number>> {
    if (this.signal === 'traces') return this.chunks;
    const n = this.count;
    return (function* () {
      for (let i = 0; i < n; i++) yield [i];
    })();
  }

  private describe(i: number): string {
    const buf = this.inputs[this.input(i)]!.bytes;
    if (this.signal === 'traces') return `span ${JSON.stringify(stringField(buf, this.start(i), this.end(i), SPAN.name))}`;
    if (this.signal === 'logs') return 'log record';
    const m = this.metrics[this.metric(i)]!;
    return `metric ${JSON.stringify(stringField(buf, m.start, m.end, METRIC.name))} data point`;
  }
}

/**
 * Calls `fn` with the payload range of every length-delimited `field` in [start, end), as
 * eachField does, and returns the other fields' byte ranges (the container's header).
 */
function children(buf: Uint8Array, start: number, end: number, field: number, fn: (s: number, e: number) => void): number[] {
  const want = tag(field, LEN);
  const runs: number[] = [];
  const r = new WireReader(buf, start, end);
  let run = start;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag();
    if (t === want) {
      const e = r.len();
      const s = r.pos;
      r.pos = e;
      if (at > run) runs.push(run, at);
      run = e;
      fn(s, e);
    } else if (t >>> 3 === field) {
      throw new WireError(`field ${field} has wire type ${t & 7}, expected 2 (length-delimited)`, at);
    } else {
      r.skip(t & 7);
    }
  }
  if (end > run) runs.push(run, end);
  return runs;
}

function runsLength(runs: readonly number[]): number {
  let n = 0;
  for (let k = 0; k < runs.length; k += 2) n += runs[k + 1]! - runs[k]!;
  return n;
}

/** Offset of a span's (last) trace id if it is 16 bytes, else -1. */
function traceIdAt(buf: Uint8Array, start: number, end: number): number {
  let at = -1;
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const t = r.tag();
    if (t === 0x0a) {
      const e = r.len();
      at = e - r.pos === 16 ? r.pos : -1;
      r.pos = e;
    } else {
      r.skip(t & 7);
    }
  }
  return at;
}
