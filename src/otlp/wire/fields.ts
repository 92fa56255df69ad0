/**
 * The OTLP field numbers this project reads and writes at the wire level, in one place
 * (checked against proto/ by test/otlp/wire/fields.test.ts). Everything that walks or
 * writes request bytes by hand takes its numbers and tags from here.
 */

/** Protobuf wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;

/** A raw tag: field number and wire type, as the first byte(s) of a field. */
export function tag(field: number, wireType: number): number {
  return field * 8 + wireType;
}

/** Kinds of id sites, as the compiler's and the JSON writer's site sinks report them. */
export const SITE_TRACE_ID = 0;
export const SITE_SPAN_ID = 1;

/** Request.resource_* (1) → Resource*.resource (1), .scope_* (2) → Scope*.scope (1), .items (2). */
export const RESOURCES = 1;
export const RESOURCE = 1;
export const SCOPES = 2;
export const ITEMS = 2;
/** Resource.attributes and KeyValue / AnyValue. */
export const RESOURCE_ATTRIBUTES = 1;
export const KEY_VALUE = { key: 1, value: 2 } as const;
export const ANY_VALUE = { string: 1, bool: 2, int: 3, double: 4 } as const;

export const SPAN = { traceId: 1, spanId: 2, parentSpanId: 4, name: 5, start: 7, end: 8, attributes: 9, events: 11, links: 13 } as const;
export const SPAN_EVENT = { time: 1 } as const;
export const SPAN_LINK = { traceId: 1, spanId: 2 } as const;
export const LOG_RECORD = { time: 1, attributes: 6, traceId: 9, spanId: 10, observedTime: 11 } as const;
export const METRIC = { name: 1 } as const;
/** <metric data>.data_points, and every data point's start and time. */
export const DATA_POINTS = 1;
export const POINT = { start: 2, time: 3 } as const;
export const EXEMPLAR = { time: 2, spanId: 4, traceId: 5 } as const;
/** Value fields of each point type (metrics continuity stamps them) and the <metric data>'s temporality. */
export const NUMBER_POINT = { asDouble: 4, asInt: 6 } as const;
export const HISTOGRAM_POINT = { count: 4, sum: 5, bucketCounts: 6 } as const;
export const EXP_HISTOGRAM_POINT = { count: 4, sum: 5, zeroCount: 7, positive: 8, negative: 9 } as const;
export const EXP_BUCKETS = { bucketCounts: 2 } as const;
export const SUMMARY_POINT = { count: 4, sum: 5 } as const;
/** Sum, Histogram and ExponentialHistogram: aggregation_temporality (1 delta, 2 cumulative); Sum.is_monotonic. */
export const METRIC_TEMPORALITY = 2;
export const SUM_MONOTONIC = 3;
export const TEMPORALITY_DELTA = 1;

export interface MetricDataField {
  /** Metric.<field>: the oneof member holding the data. */
  field: number;
  /** As protobufjs and OTLP/JSON name it. */
  key: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** The data point's exemplars field, or -1 when it has none. */
  exemplars: number;
  /** The data point's attributes field. */
  attributes: number;
}

/** Metric data kinds, in field order: gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11. */
export const METRIC_DATA: readonly MetricDataField[] = [
  { field: 5, key: 'gauge', exemplars: 5, attributes: 7 },
  { field: 7, key: 'sum', exemplars: 5, attributes: 7 },
  { field: 9, key: 'histogram', exemplars: 8, attributes: 9 },
  { field: 10, key: 'exponentialHistogram', exemplars: 11, attributes: 1 },
  { field: 11, key: 'summary', exemplars: -1, attributes: 7 },
];

/** METRIC_DATA by field number. */
export const METRIC_DATA_BY_FIELD: ReadonlyMap<number, MetricDataField> = new Map(METRIC_DATA.map((d) => [d.field, d]));

/** METRIC_DATA's field numbers by name. */
export const METRIC_DATA_FIELD = Object.fromEntries(METRIC_DATA.map((d) => [d.key, d.field])) as Readonly<Record<MetricDataField['key'], number>>;
