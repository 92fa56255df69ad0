import { requestType } from '../../src/otlp/proto.js';
import { SIGNALS, type Signal } from '../../src/otlp/signals.js';
import type { AttributeAction, AttributeScope } from '../../src/compile/attribute-rewrite.js';

/**
 * Requests with every place attributes live (several resources and scopes; a resource
 * entry without a resource, a resource without attributes; items with, without and with
 * duplicate attributes; all five metric data point kinds), and a reference
 * implementation of the Collector's actions on the protobufjs decoding.
 */

export const BIG_TIME = '1732700000123456789'; // above 2^53: a lossy copy would show

type Attr = { key: string; value: object };
export const s = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });

/** Attribute lists the items cycle through. */
const LISTS: Attr[][] = [
  [s('a', 'x'), s('b', 'y'), { key: 'n', value: { intValue: '-3' } }],
  [],
  [s('a', 'first'), s('c', 'z'.repeat(200)), s('a', 'second')],
  [{ key: 'b', value: { boolValue: true } }, { key: 'd', value: { doubleValue: 2.5 } }],
];
const attrs = (i: number): Attr[] => LISTS[i % LISTS.length]!;

function resources(items: (r: number, sc: number) => object[], key: 'scopeSpans' | 'scopeMetrics' | 'scopeLogs', list: 'spans' | 'metrics' | 'logRecords'): object[] {
  const scopes = (r: number) => [0, 1].map((sc) => ({ scope: { name: `lib-${sc}`, attributes: [s('scope.attr', 'keep')] }, [list]: items(r, sc), schemaUrl: 'u' }));
  return [
    { resource: { attributes: [s('service.name', 'svc'), s('a', 'res')], droppedAttributesCount: 1 }, [key]: scopes(0), schemaUrl: 'r0' },
    { [key]: scopes(1) }, // no resource at all
    { resource: { droppedAttributesCount: 2 }, [key]: scopes(2) }, // a resource without attributes
  ];
}

function spans(r: number, sc: number): object[] {
  return [0, 1, 2, 3].map((i) => ({
    traceId: Buffer.alloc(16, 1 + r), spanId: Buffer.alloc(8, 1 + i + sc * 4), name: `op-${r}-${sc}-${i}`, kind: 2,
    startTimeUnixNano: BIG_TIME, endTimeUnixNano: '1732700000123457001', attributes: attrs(i + r),
    events: [{ timeUnixNano: BIG_TIME, name: 'ev', attributes: [s('a', 'event')] }],
    links: [{ traceId: Buffer.alloc(16, 9), spanId: Buffer.alloc(8, 9), attributes: [s('a', 'link')] }],
    status: { code: 1 },
  }));
}

function logRecords(r: number, sc: number): object[] {
  return [0, 1, 2, 3].map((i) => ({
    timeUnixNano: BIG_TIME, observedTimeUnixNano: '1732700000123456790', severityNumber: 9,
    body: { kvlistValue: { values: [s('a', 'body')] } }, attributes: attrs(i + r + sc), traceId: Buffer.alloc(16, 3), spanId: Buffer.alloc(8, 4),
  }));
}

function metrics(r: number, sc: number): object[] {
  const base = (i: number) => ({ attributes: attrs(i + r + sc), startTimeUnixNano: '1000', timeUnixNano: BIG_TIME });
  const ex = [{ filteredAttributes: [s('a', 'exemplar')], timeUnixNano: BIG_TIME, asDouble: 1, spanId: Buffer.alloc(8, 5), traceId: Buffer.alloc(16, 6) }];
  const two = <T>(f: (i: number) => T): T[] => [f(0), f(1)];
  return [
    { name: 'g', metadata: [s('a', 'meta')], gauge: { dataPoints: two((i) => ({ ...base(i), asDouble: 1.5, exemplars: ex })) } },
    { name: 's', sum: { dataPoints: two((i) => ({ ...base(i + 1), asInt: '7' })), aggregationTemporality: 2, isMonotonic: true } },
    { name: 'h', histogram: { dataPoints: two((i) => ({ ...base(i + 2), count: '3', sum: 4, bucketCounts: ['1', '2'], explicitBounds: [1], exemplars: ex })), aggregationTemporality: 1 } },
    { name: 'e', exponentialHistogram: { dataPoints: two((i) => ({ ...base(i + 3), count: '2', scale: 3, zeroCount: '1', positive: { offset: -2, bucketCounts: ['1'] } })), aggregationTemporality: 2 } },
    { name: 'q', summary: { dataPoints: two((i) => ({ ...base(i), count: '5', sum: 6, quantileValues: [{ quantile: 0.5, value: 1 }] })) } },
  ];
}

/** The request object (for protobufjs fromObject) of a signal. */
export function attributeRequest(signal: Signal): object {
  if (signal === 'traces') return { resourceSpans: resources(spans, 'scopeSpans', 'spans') };
  if (signal === 'logs') return { resourceLogs: resources(logRecords, 'scopeLogs', 'logRecords') };
  return { resourceMetrics: resources(metrics, 'scopeMetrics', 'metrics') };
}

export function encode(signal: Signal, obj: object): Uint8Array {
  const t = requestType(signal);
  return t.encode(t.fromObject(obj)).finish();
}

/** The protobufjs decoding as a plain object (64-bit ints and bytes as strings). */
export function decode(signal: Signal, bytes: Uint8Array): any {
  return requestType(signal).toObject(requestType(signal).decode(bytes), { longs: String, bytes: String });
}

/** Every attribute holder at `scope` of a decoded request, in request order. */
export function holders(signal: Signal, req: any, scope: AttributeScope): any[] {
  const out: any[] = [];
  for (const rx of req[SIGNALS[signal].resources] ?? []) {
    if (scope === 'resource') {
      if (rx.resource) out.push(rx.resource);
      continue;
    }
    for (const sx of rx.scopeSpans ?? rx.scopeLogs ?? rx.scopeMetrics ?? []) {
      for (const item of sx.spans ?? sx.logRecords ?? []) out.push(item);
      for (const m of sx.metrics ?? []) {
        for (const k of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) out.push(...(m[k]?.dataPoints ?? []));
      }
    }
  }
  return out;
}

/** AnyValue object as protobufjs toObject writes it for an action value. */
export function anyValueOf(v: string | number | boolean): object {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return { intValue: String(BigInt(v)) };
  return { doubleValue: v };
}

/**
 * The reference: the Collector's attributes processor on a decoded attribute list
 * (update and upsert change every KeyValue with the key, delete removes them all,
 * insert and upsert append when the key is absent).
 */
export function applyReference(list: Attr[], actions: readonly AttributeAction[]): Attr[] {
  let out = list.map((kv) => ({ ...kv }));
  for (const a of actions) {
    const has = out.some((kv) => kv.key === a.key);
    if (a.action === 'delete') out = out.filter((kv) => kv.key !== a.key);
    else if (has && a.action !== 'insert') for (const kv of out) if (kv.key === a.key) kv.value = anyValueOf(a.value!);
    if (!has && (a.action === 'insert' || a.action === 'upsert')) out.push({ key: a.key, value: anyValueOf(a.value!) });
  }
  return out;
}

/** The decoded request with the reference applied at `scope`. */
export function expected(signal: Signal, bytes: Uint8Array, scope: AttributeScope, actions: readonly AttributeAction[]): any {
  const req = decode(signal, bytes);
  for (const rx of req[SIGNALS[signal].resources] ?? []) {
    if (scope === 'resource' && !rx.resource && applyReference([], actions).length > 0) rx.resource = {};
  }
  for (const h of holders(signal, req, scope)) {
    const list = applyReference(h.attributes ?? [], actions);
    if (list.length > 0) h.attributes = list;
    else delete h.attributes;
  }
  return req;
}
