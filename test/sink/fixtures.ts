import { randomBytes } from 'node:crypto';
import { Client, credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { RETRY_INFO_TYPE_URL } from '../../src/sink/faults.js';
import { requestType } from '../../src/otlp/proto.js';
import { SIGNALS, type Signal } from '../../src/otlp/signals.js';

/** Builders for real OTLP requests (protobufjs objects) and a raw-bytes gRPC client. */

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export interface SpanSpec {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  start?: bigint;
  end?: bigint;
}

export function span(s: SpanSpec = {}): Record<string, unknown> {
  const start = s.start ?? nowNs();
  return {
    traceId: s.traceId ?? randomBytes(16),
    spanId: s.spanId ?? randomBytes(8),
    parentSpanId: s.parentSpanId,
    name: 'GET /api',
    kind: 2,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (s.end ?? start + 5_000_000n).toString(),
    attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }],
  };
}

/** A request with `traces` traces of `spansPerTrace` spans (a root and its children), split over two resources. */
export function tracesRequest(traces: number, spansPerTrace: number): Record<string, unknown> {
  const spans = [];
  for (let t = 0; t < traces; t++) {
    const traceId = randomBytes(16);
    const root = span({ traceId });
    spans.push(root);
    for (let i = 1; i < spansPerTrace; i++) spans.push(span({ traceId, parentSpanId: root.spanId as Uint8Array }));
  }
  const half = Math.ceil(spans.length / 2);
  return spansRequest([spans.slice(0, half), spans.slice(half)]);
}

export function spansRequest(groups: Record<string, unknown>[][]): Record<string, unknown> {
  return {
    resourceSpans: groups.map((spans, i) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${i}` } }] },
      scopeSpans: [{ scope: { name: 'test' }, spans }],
    })),
  };
}

/** One metric of every kind; data points per kind: gauge 2, sum 3, histogram 1, exponential 2, summary 1 = 9. */
/**
 * Points of one metric share no attributes, so they are points of one series at one time
 * (which the sink's series checks count); `distinct` gives each its own series. With
 * `exemplar`, the histogram's point carries one exemplar naming that span.
 */
export function metricsRequest(opts: { start?: bigint; time?: bigint; distinct?: boolean; exemplar?: { traceId: Uint8Array; spanId: Uint8Array } } = {}): Record<string, unknown> {
  const time = (opts.time ?? nowNs()).toString();
  const start = (opts.start ?? nowNs() - 60_000_000_000n).toString();
  const series = (v: number) => (opts.distinct ? { attributes: [{ key: 'n', value: { intValue: v } }] } : {});
  const num = (v: number) => ({ ...series(v), startTimeUnixNano: start, timeUnixNano: time, asDouble: v });
  return {
    resourceMetrics: [{
      resource: { attributes: [] },
      scopeMetrics: [
        {
          scope: { name: 'm' },
          metrics: [
            { name: 'g', gauge: { dataPoints: [num(1), num(2)] } },
            { name: 's', sum: { dataPoints: [num(1), num(2), num(3)], aggregationTemporality: 2, isMonotonic: true } },
          ],
        },
        {
          metrics: [
            { name: 'h', histogram: { dataPoints: [{ startTimeUnixNano: start, timeUnixNano: time, count: 3, bucketCounts: [1, 2], explicitBounds: [1], exemplars: exemplars(opts.exemplar, time) }] } },
            { name: 'e', exponentialHistogram: { dataPoints: [{ ...series(1), startTimeUnixNano: start, timeUnixNano: time, count: 1, scale: 1 }, { ...series(2), startTimeUnixNano: start, timeUnixNano: time, count: 2 }] } },
            { name: 'q', summary: { dataPoints: [{ startTimeUnixNano: start, timeUnixNano: time, count: 1, sum: 2 }] } },
          ],
        },
      ],
    }],
  };
}

function exemplars(ids: { traceId: Uint8Array; spanId: Uint8Array } | undefined, time: string): unknown[] {
  return ids ? [{ ...ids, timeUnixNano: time, asDouble: 1 }] : [];
}

export const METRICS_POINTS = 9;

export function logsRequest(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const logs = [];
  for (let i = 0; i < n; i++) {
    logs.push({ timeUnixNano: nowNs().toString(), observedTimeUnixNano: nowNs().toString(), severityNumber: 9, body: { stringValue: `line ${i}` }, ...extra });
  }
  return { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: logs.slice(0, 1) }, { logRecords: logs.slice(1) }] }] };
}

export function encode(signal: Signal, obj: Record<string, unknown>): Buffer {
  const type = requestType(signal);
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/** The OTLP/JSON form of a request: hex ids, decimal-string times, camelCase keys. */
export function toJson(signal: Signal, obj: Record<string, unknown>): string {
  const type = requestType(signal);
  return JSON.stringify(type.toObject(type.fromObject(obj), { longs: String, bytes: String }), (k, v) =>
    (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : v,
  );
}

const identity = (b: Buffer): Buffer => b;

export function grpcClient(address: string, opts: { creds?: ChannelCredentials; gzip?: boolean } = {}): Client {
  return new Client(address, opts.creds ?? credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    ...(opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
  });
}

/** Sends raw request bytes; resolves with the error (its `metadata` holds the trailers), or undefined on success. */
export function grpcExport(client: Client, signal: Signal, body: Buffer): Promise<ServiceError | undefined> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(SIGNALS[signal].grpcPath, identity, identity, body, new Metadata(), {}, (error) => resolve(error ?? undefined));
  });
}

// Independent definitions of google.rpc.Status and RetryInfo, to decode what the sink hand-encodes.
const root = protobuf.parse(`
  syntax = "proto3";
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }
`).root;
const StatusType = root.lookupType('Status');
const RetryInfoType = root.lookupType('RetryInfo');

/** Decodes a google.rpc.Status and returns its code, message and RetryInfo delay in ms (if any). */
export function decodeStatus(buf: Uint8Array): { code: number; message: string; retryDelayMs?: number } {
  const st = StatusType.toObject(StatusType.decode(buf), { longs: Number }) as { code?: number; message?: string; details?: { typeUrl: string; value: Uint8Array }[] };
  const detail = st.details?.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
  let retryDelayMs: number | undefined;
  if (detail) {
    const ri = RetryInfoType.toObject(RetryInfoType.decode(detail.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
    retryDelayMs = (ri.retryDelay?.seconds ?? 0) * 1000 + (ri.retryDelay?.nanos ?? 0) / 1e6;
  }
  return { code: st.code ?? 0, message: st.message ?? '', retryDelayMs };
}

