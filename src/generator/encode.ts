import type { Signal } from '../otlp/signals.js';
import { METRIC_DATA_FIELD } from '../otlp/wire/fields.js';
import type { AnyValue, Block, KeyValue } from './otlp-values.js';
import { WireWriter } from './wire-writer.js';
import {
  WT_I32, WT_I64, WT_LEN, writeAnyValue, writeAttrs, writeBytes, writeDouble, writeFixed64, writeSharedAttrs, writeString, writeVarint,
} from './encode-fields.js';

/**
 * The shapes the generator builds (protobufjs's camelCase object form, so the same
 * objects feed the OTLP/JSON writer and tests). Only the fields the generator sets.
 */
type Attrs = KeyValue[];
interface Scope { name: string; version?: string }
interface ResourceBlock { resource: { attributes: Attrs }; [scopeKey: string]: unknown }
interface SpanObj {
  traceId: Uint8Array; spanId: Uint8Array; parentSpanId?: Uint8Array; name: string; kind: number;
  startTimeUnixNano: number; endTimeUnixNano: number; attributes: Attrs;
  events?: { timeUnixNano: number; name: string; attributes: Attrs }[];
  links?: { traceId: Uint8Array; spanId: Uint8Array; attributes: Attrs }[];
  status?: { code: number; message: string };
}
interface PointObj {
  attributes: Attrs; startTimeUnixNano: number; timeUnixNano: number;
  asDouble?: number; asInt?: number; count?: number; sum?: number; min?: number; max?: number;
  bucketCounts?: number[]; explicitBounds?: number[]; scale?: number; zeroCount?: number;
  positive?: { offset: number; bucketCounts: number[] }; quantileValues?: { quantile: number; value: number }[];
}
interface MetricObj {
  name: string; description: string; unit: string;
  gauge?: { dataPoints: PointObj[] };
  sum?: { dataPoints: PointObj[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: PointObj[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: PointObj[]; aggregationTemporality: number };
  summary?: { dataPoints: PointObj[] };
}
interface LogObj {
  timeUnixNano: number; observedTimeUnixNano: number; severityNumber: number; severityText: string;
  body: AnyValue; attributes: Attrs; traceId?: Uint8Array; spanId?: Uint8Array; flags?: number;
}

/*
 * Field order and presence follow protobufjs (fields by number; a field present in the
 * object is written even when it is zero), so the bytes equal what protobufjs encoded
 * before this writer existed (test/generator/encode.test.ts compares every block).
 */

/** Field 1 of a ResourceSpans/Metrics/Logs. */
function writeResource(w: WireWriter, block: ResourceBlock): void {
  const r = w.begin(1);
  writeSharedAttrs(w, 1, block.resource.attributes);
  w.end(r);
}

/** Starts a Scope{Spans,Metrics,Logs} entry (field 2) with its scope; the caller writes the items and ends it. */
function beginScope(w: WireWriter, scope: Scope): number {
  const s = w.begin(2);
  const sc = w.begin(1);
  writeString(w, 1, scope.name);
  writeString(w, 2, scope.version);
  w.end(sc);
  return s;
}

function writeSpan(w: WireWriter, s: SpanObj): void {
  writeBytes(w, 1, s.traceId);
  writeBytes(w, 2, s.spanId);
  writeBytes(w, 4, s.parentSpanId);
  writeString(w, 5, s.name);
  writeVarint(w, 6, s.kind);
  writeFixed64(w, 7, s.startTimeUnixNano);
  writeFixed64(w, 8, s.endTimeUnixNano);
  writeAttrs(w, 9, s.attributes);
  for (const e of s.events ?? []) {
    const m = w.begin(11);
    writeFixed64(w, 1, e.timeUnixNano);
    writeString(w, 2, e.name);
    writeAttrs(w, 3, e.attributes);
    w.end(m);
  }
  for (const l of s.links ?? []) {
    const m = w.begin(13);
    writeBytes(w, 1, l.traceId);
    writeBytes(w, 2, l.spanId);
    writeAttrs(w, 4, l.attributes);
    w.end(m);
  }
  if (s.status) {
    const m = w.begin(15);
    writeString(w, 2, s.status.message);
    writeVarint(w, 3, s.status.code);
    w.end(m);
  }
}

function writePackedFixed64(w: WireWriter, field: number, list: number[] | undefined): void {
  if (!list || list.length === 0) return;
  w.tag(field, WT_LEN);
  w.varint(list.length * 8);
  for (const n of list) w.fixed64(n);
}

function writePackedDouble(w: WireWriter, field: number, list: number[] | undefined): void {
  if (!list || list.length === 0) return;
  w.tag(field, WT_LEN);
  w.varint(list.length * 8);
  for (const d of list) w.double(d);
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

type PointShape = 'number' | 'histogram' | 'exp' | 'summary';

/** A data point of any shape: field numbers differ per shape only for attributes and the trailing fields. */
function writePoint(w: WireWriter, shape: PointShape, p: PointObj): void {
  if (shape === 'exp') writeSharedAttrs(w, 1, p.attributes);
  writeFixed64(w, 2, p.startTimeUnixNano);
  writeFixed64(w, 3, p.timeUnixNano);
  if (shape === 'number') {
    writeDouble(w, 4, p.asDouble);
    if (p.asInt !== undefined) {
      w.tag(6, WT_I64);
      w.fixed64(p.asInt);
    }
    writeSharedAttrs(w, 7, p.attributes);
    return;
  }
  writeFixed64(w, 4, p.count);
  writeDouble(w, 5, p.sum);
  if (shape === 'summary') {
    for (const q of p.quantileValues ?? []) {
      const m = w.begin(6);
      writeDouble(w, 1, q.quantile);
      writeDouble(w, 2, q.value);
      w.end(m);
    }
    writeSharedAttrs(w, 7, p.attributes);
    return;
  }
  if (shape === 'histogram') {
    writePackedFixed64(w, 6, p.bucketCounts);
    writePackedDouble(w, 7, p.explicitBounds);
    writeSharedAttrs(w, 9, p.attributes);
    writeDouble(w, 11, p.min);
    writeDouble(w, 12, p.max);
    return;
  }
  if (p.scale !== undefined) writeVarint(w, 6, zigzag(p.scale));
  writeFixed64(w, 7, p.zeroCount);
  if (p.positive) {
    const m = w.begin(8);
    writeVarint(w, 1, zigzag(p.positive.offset));
    if (p.positive.bucketCounts.length > 0) {
      const b = w.begin(2);
      for (const n of p.positive.bucketCounts) w.varint(n);
      w.end(b);
    }
    w.end(m);
  }
  writeDouble(w, 12, p.min);
  writeDouble(w, 13, p.max);
}

function writeMetric(w: WireWriter, metric: MetricObj): void {
  writeString(w, 1, metric.name);
  writeString(w, 2, metric.description);
  writeString(w, 3, metric.unit);
  if (metric.gauge) writeData(w, METRIC_DATA_FIELD.gauge, 'number', metric.gauge.dataPoints);
  else if (metric.sum) writeData(w, METRIC_DATA_FIELD.sum, 'number', metric.sum.dataPoints, metric.sum.aggregationTemporality, metric.sum.isMonotonic);
  else if (metric.histogram) writeData(w, METRIC_DATA_FIELD.histogram, 'histogram', metric.histogram.dataPoints, metric.histogram.aggregationTemporality);
  else if (metric.exponentialHistogram) writeData(w, METRIC_DATA_FIELD.exponentialHistogram, 'exp', metric.exponentialHistogram.dataPoints, metric.exponentialHistogram.aggregationTemporality);
  else if (metric.summary) writeData(w, METRIC_DATA_FIELD.summary, 'summary', metric.summary.dataPoints);
}

/** Gauge/Sum/Histogram/ExponentialHistogram/Summary: data points, then temporality and monotonicity where the shape has them. */
function writeData(w: WireWriter, field: number, shape: PointShape, points: PointObj[], temporality?: number, monotonic?: boolean): void {
  const m = w.begin(field);
  for (let i = 0; i < points.length; i++) {
    const pm = w.begin(1);
    writePoint(w, shape, points[i]!);
    w.end(pm);
  }
  writeVarint(w, 2, temporality);
  if (monotonic !== undefined) writeVarint(w, 3, monotonic ? 1 : 0);
  w.end(m);
}

function writeLog(w: WireWriter, r: LogObj): void {
  writeFixed64(w, 1, r.timeUnixNano);
  writeVarint(w, 2, r.severityNumber);
  writeString(w, 3, r.severityText);
  const b = w.begin(5);
  writeAnyValue(w, r.body);
  w.end(b);
  writeAttrs(w, 6, r.attributes);
  if (r.flags !== undefined) {
    w.tag(8, WT_I32);
    w.fixed32(r.flags);
  }
  writeBytes(w, 9, r.traceId);
  writeBytes(w, 10, r.spanId);
  writeFixed64(w, 11, r.observedTimeUnixNano);
}

/**
 * Appends one block as a field-1 entry of an Export*ServiceRequest (tag, length,
 * ResourceX bytes) and returns its size. A request is a concatenation of these, so
 * blocks can be written one at a time.
 */
export function encodeBlock(w: WireWriter, signal: Signal, block: Block): number {
  const start = w.pos;
  const res = block.resource as ResourceBlock;
  const outer = w.begin(1);
  writeResource(w, res);
  if (signal === 'traces') {
    for (const ss of res.scopeSpans as { scope: Scope; spans: SpanObj[] }[]) {
      const m = beginScope(w, ss.scope);
      for (const s of ss.spans) {
        const sm = w.begin(2);
        writeSpan(w, s);
        w.end(sm);
      }
      w.end(m);
    }
  } else if (signal === 'metrics') {
    for (const sm of res.scopeMetrics as { scope: Scope; metrics: MetricObj[] }[]) {
      const m = beginScope(w, sm.scope);
      for (const metric of sm.metrics) {
        const mm = w.begin(2);
        writeMetric(w, metric);
        w.end(mm);
      }
      w.end(m);
    }
  } else {
    for (const sl of res.scopeLogs as { scope: Scope; logRecords: LogObj[] }[]) {
      const m = beginScope(w, sl.scope);
      for (const r of sl.logRecords) {
        const rm = w.begin(2);
        writeLog(w, r);
        w.end(rm);
      }
      w.end(m);
    }
  }
  w.end(outer);
  return w.pos - start;
}

/** A whole request from blocks (small pools only: the generator receiver). */
export function encodeRequest(signal: Signal, blocks: Iterable<Block>): Uint8Array {
  const w = new WireWriter();
  for (const b of blocks) encodeBlock(w, signal, b);
  return w.copy();
}
