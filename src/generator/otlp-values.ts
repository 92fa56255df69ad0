/**
 * OTLP values in the shape protobufjs encodes directly (camelCase, oneof members set
 * alone). Building these plain objects is far cheaper than Type.fromObject.
 */
export interface AnyValue {
  stringValue?: string;
  intValue?: number;
  doubleValue?: number;
  boolValue?: boolean;
}

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export function str(key: string, v: string): KeyValue {
  return { key, value: { stringValue: v } };
}

export function int(key: string, v: number): KeyValue {
  return { key, value: { intValue: v } };
}

export function dbl(key: string, v: number): KeyValue {
  return { key, value: { doubleValue: v } };
}

export function bool(key: string, v: boolean): KeyValue {
  return { key, value: { boolValue: v } };
}

/** Attributes from a plain record; key order is the record's insertion order (deterministic). */
export function attrs(rec: Record<string, string | number | boolean>): KeyValue[] {
  const out: KeyValue[] = [];
  // for…in visits string keys in insertion order, like Object.entries, without a pair array per key.
  for (const k in rec) {
    const v = rec[k]!;
    if (typeof v === 'string') out.push(str(k, v));
    else if (typeof v === 'boolean') out.push(bool(k, v));
    else if (Number.isInteger(v)) out.push(int(k, v));
    else out.push(dbl(k, v));
  }
  return out;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const STATUS_ERROR = 2;

/** One resource-level block of a request (a ResourceSpans/ResourceMetrics/ResourceLogs) and the events in it. */
export interface Block {
  resource: unknown;
  events: number;
}
