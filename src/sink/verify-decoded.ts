import { METRIC_DATA_KEYS, type Signal } from '../otlp/signals.js';
import type { Nanos, Verifier } from './verify.js';

/** Values as protobufjs decodes them: ids as Uint8Array, fixed64 as Long (or number without long.js). */
type IdValue = Uint8Array | null | undefined;
type TimeValue = { low: number; high: number } | number | null | undefined;
// Decoded requests (requestType().decode or decodeOtlpJson) are walked without generated types.
export type DecodedRequest = Record<string, any>;
type Obj = DecodedRequest;

const TWO_32 = 4294967296;
const EMPTY = new Uint8Array(0);

/**
 * Feeds the verifier the fields it checks from a decoded request (protobufjs objects, or
 * decodeOtlpJson's), as walkRequest (verify-wire.ts) does from encoded bytes.
 */
export function walkDecoded(v: Verifier, signal: Signal, request: DecodedRequest): void {
  if (signal === 'traces') {
    eachItem(request.resourceSpans, 'scopeSpans', 'spans', (s) => v.span(idBytes(s.traceId), idBytes(s.spanId), idBytes(s.parentSpanId), nanos(s.startTimeUnixNano), nanos(s.endTimeUnixNano)));
  } else if (signal === 'logs') {
    eachItem(request.resourceLogs, 'scopeLogs', 'logRecords', (l) => v.log(idBytes(l.traceId), idBytes(l.spanId), nanos(l.timeUnixNano), nanos(l.observedTimeUnixNano)));
  } else {
    eachItem(request.resourceMetrics, 'scopeMetrics', 'metrics', (m) => {
      for (const kind of METRIC_DATA_KEYS) {
        for (const p of asList(m[kind]?.dataPoints)) {
          v.point(() => String(m.name ?? 'metric'), nanos((p as Obj).startTimeUnixNano), nanos((p as Obj).timeUnixNano));
          for (const ex of asList((p as Obj).exemplars)) v.exemplar(idBytes((ex as Obj).traceId), idBytes((ex as Obj).spanId));
        }
      }
    });
  }
}

function eachItem(resources: unknown, scopeKey: string, itemKey: string, fn: (item: Obj) => void): void {
  for (const r of asList(resources)) for (const s of asList((r as Obj)?.[scopeKey])) for (const i of asList((s as Obj)?.[itemKey])) fn(i as Obj);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function idBytes(v: IdValue): Uint8Array {
  return v instanceof Uint8Array ? v : EMPTY;
}

function nanos(v: TimeValue): Nanos {
  if (v === null || v === undefined) return { hi: 0, lo: 0 };
  if (typeof v === 'number') {
    const hi = Math.floor(v / TWO_32);
    return { hi, lo: v - hi * TWO_32 };
  }
  return { hi: v.high >>> 0, lo: v.low >>> 0 };
}
