import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import { recordPrefix } from '../../src/otlp/wire/records.js';

/**
 * Template files for tests, built with protobufjs from the real request types.
 * Absolute times start at ABSOLUTE_BASE, above 2^53, so precision loss shows.
 */

export const ABSOLUTE_BASE = 1732700000123456789n;

export type TemplateFormat = 'pb' | 'json' | 'jsonl';

export interface WriteOptions {
  format?: TemplateFormat;
  gzip?: boolean;
  /** File name without extension (default: the signal). */
  name?: string;
}

export interface TracesOptions {
  traces: number;
  spansPerTrace: number;
  /** Recorded (absolute) times from ABSOLUTE_BASE instead of relative offsets. */
  absolute?: boolean;
}

export function traceId(t: number): Buffer {
  const b = Buffer.alloc(16, 0xab);
  b.writeUInt32BE(t + 1, 12);
  return b;
}

export function spanId(t: number, s: number): Buffer {
  const b = Buffer.alloc(8, 0xcd);
  b.writeUInt16BE(t + 1, 4);
  b.writeUInt16BE(s + 1, 6);
  return b;
}

/**
 * Relative times of span `s`, the same in every trace (`t` does not change them; absolute
 * traces are 1 s apart, see tracesRequest).
 */
export function spanTimes(t: number, s: number): { start: bigint; end: bigint; event: bigint } {
  const start = BigInt(s * 1000 + (s > 0 ? 7 : 0));
  return { start, end: start + BigInt(500_000 + s), event: start + 3n };
}

export function tracesRequest(opts: TracesOptions): any {
  const spans: unknown[] = [];
  for (let t = 0; t < opts.traces; t++) {
    const shift = opts.absolute ? ABSOLUTE_BASE + BigInt(t) * 1_000_000_000n : 0n;
    for (let s = 0; s < opts.spansPerTrace; s++) {
      const { start, end, event } = spanTimes(t, s);
      spans.push({
        traceId: traceId(t),
        spanId: spanId(t, s),
        parentSpanId: s === 0 ? Buffer.alloc(0) : spanId(t, 0),
        name: `op-${s}`,
        kind: s === 0 ? 2 : 3,
        startTimeUnixNano: String(shift + start),
        endTimeUnixNano: String(shift + end),
        attributes: [{ key: 'http.route', value: { stringValue: `/r/${s}` } }],
        events: [{ name: 'ev', timeUnixNano: String(shift + event) }],
      });
    }
  }
  return requestType('traces').fromObject({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }],
  });
}

/** `points` gauge points 10 µs apart (+1 ns each), first with a start time 1 s earlier. */
export function metricsRequest(opts: { points: number; absolute?: boolean }): any {
  const shift = opts.absolute ? ABSOLUTE_BASE : 0n;
  const dataPoints = [];
  for (let i = 0; i < opts.points; i++) {
    dataPoints.push({
      startTimeUnixNano: String(shift + 1000n),
      timeUnixNano: String(shift + 1_000_000_000n + BigInt(i * 10_001)),
      asInt: String(i),
      exemplars: i === 0 ? [{ timeUnixNano: String(shift + 1_000_000_005n), asDouble: 1.5, traceId: traceId(0), spanId: spanId(0, 0) }] : [],
    });
  }
  return requestType('metrics').fromObject({
    resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'requests', sum: { dataPoints, aggregationTemporality: 2, isMonotonic: true } }] }] }],
  });
}

/** `records` log records 1 ms apart (+1 ns each), observed 2 ns after their time. */
export function logsRequest(opts: { records: number; absolute?: boolean }): any {
  const shift = opts.absolute ? ABSOLUTE_BASE : 0n;
  const logRecords = [];
  for (let i = 0; i < opts.records; i++) {
    const t = shift + 5n + BigInt(i * 1_000_001);
    logRecords.push({
      timeUnixNano: String(t),
      observedTimeUnixNano: String(t + 2n),
      severityNumber: 9,
      body: { stringValue: `line ${i}` },
      traceId: i % 2 === 0 ? traceId(i) : Buffer.alloc(0),
      spanId: i % 2 === 0 ? spanId(i, 0) : Buffer.alloc(0),
    });
  }
  return requestType('logs').fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] });
}

export function requestFor(signal: Signal, absolute = false): any {
  if (signal === 'traces') return tracesRequest({ traces: 3, spansPerTrace: 4, absolute });
  if (signal === 'metrics') return metricsRequest({ points: 5, absolute });
  return logsRequest({ records: 6, absolute });
}

/** OTLP/JSON of a decoded request: hex ids, 64-bit ints as strings, enums as numbers. */
export function toOtlpJson(signal: Signal, request: any): any {
  const obj = requestType(signal).toObject(request, { longs: String, enums: Number, bytes: String });
  return hexIds(obj);
}

function hexIds(v: any): any {
  if (Array.isArray(v)) return v.map(hexIds);
  if (typeof v !== 'object' || v === null) return v;
  for (const k of Object.keys(v)) {
    if ((k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v[k] === 'string') {
      v[k] = Buffer.from(v[k], 'base64').toString('hex');
    } else v[k] = hexIds(v[k]);
  }
  return v;
}

export function encodeTemplate(signal: Signal, request: any, format: TemplateFormat = 'pb'): Buffer {
  if (format === 'pb') return Buffer.from(requestType(signal).encode(request).finish());
  const json = toOtlpJson(signal, request);
  if (format === 'json') return Buffer.from(JSON.stringify(json, null, 2));
  // JSON lines: one request per resource, as the Collector's file exporter writes them.
  const key = Object.keys(json)[0]!;
  return Buffer.from(json[key].map((r: unknown) => JSON.stringify({ [key]: [r] })).join('\n') + '\n');
}

export function writeTemplate(dir: string, signal: Signal, request: any, opts: WriteOptions = {}): string {
  const format = opts.format ?? 'pb';
  let bytes = encodeTemplate(signal, request, format);
  let file = join(dir, `${opts.name ?? signal}.${format}`);
  if (opts.gzip) {
    bytes = gzipSync(bytes);
    file += '.gz';
  }
  writeFileSync(file, bytes);
  return file;
}

export function writeTracesTemplate(dir: string, opts: TracesOptions & WriteOptions): string {
  return writeTemplate(dir, 'traces', tracesRequest(opts), opts);
}

/**
 * A recording as `record` writes it: `traces.pb` of length-prefixed requests, each one trace
 * of 2 spans. With `arrivalsMs`, a recording.yaml lists when each arrived and every request
 * holds the same times (so only the metadata can space them); without, request i holds
 * times i seconds after the first.
 */
export function writeRecordedTraces(dir: string, opts: { requests: number; arrivalsMs?: number[] }): string {
  const rs = tracesRequest({ traces: opts.requests, spansPerTrace: 2, absolute: true }).resourceSpans[0];
  const type = requestType('traces');
  const same = { startTimeUnixNano: String(ABSOLUTE_BASE), endTimeUnixNano: String(ABSOLUTE_BASE + 1_000_000n) };
  const records = Array.from({ length: opts.requests }, (_, i) => {
    const spans = rs.scopeSpans[0].spans.slice(i * 2, i * 2 + 2).map((s: any) => (opts.arrivalsMs ? { ...s, ...same } : s));
    const body = type.encode(type.fromObject({ resourceSpans: [{ resource: rs.resource, scopeSpans: [{ spans }] }] })).finish();
    return Buffer.concat([recordPrefix(body.length), body]);
  });
  const file = join(dir, 'traces.pb');
  writeFileSync(file, Buffer.concat(records));
  if (opts.arrivalsMs) {
    const duration = (Math.max(...opts.arrivalsMs) + 200) / 1000;
    writeFileSync(join(dir, 'recording.yaml'), `duration_seconds: ${duration}\nsignals:\n  traces: { file: traces.pb, requests: ${opts.requests} }\narrivals_ms:\n  traces: [${opts.arrivalsMs.join(', ')}]\n`);
  }
  return file;
}
