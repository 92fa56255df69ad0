import { describe, expect, it } from 'vitest';
import { otlpRoot } from '../../../src/otlp/proto.js';
import * as F from '../../../src/otlp/wire/fields.js';

const P = 'opentelemetry.proto.';
function fieldId(type: string, field: string): number {
  const t = otlpRoot().lookupType(P + type);
  const f = t.fields[field];
  if (!f) throw new Error(`${type} has no field ${field}`);
  return f.id;
}

describe('OTLP field numbers', () => {
  it('match the .proto files for every message the wire code walks', () => {
    const expected: [string, Record<string, number>][] = [
      ['trace.v1.Span', { traceId: F.SPAN.traceId, spanId: F.SPAN.spanId, parentSpanId: F.SPAN.parentSpanId, name: F.SPAN.name,
        startTimeUnixNano: F.SPAN.start, endTimeUnixNano: F.SPAN.end, attributes: F.SPAN.attributes, events: F.SPAN.events, links: F.SPAN.links }],
      ['trace.v1.Span.Event', { timeUnixNano: F.SPAN_EVENT.time }],
      ['trace.v1.Span.Link', { traceId: F.SPAN_LINK.traceId, spanId: F.SPAN_LINK.spanId }],
      ['logs.v1.LogRecord', { timeUnixNano: F.LOG_RECORD.time, observedTimeUnixNano: F.LOG_RECORD.observedTime, attributes: F.LOG_RECORD.attributes,
        traceId: F.LOG_RECORD.traceId, spanId: F.LOG_RECORD.spanId }],
      ['metrics.v1.Metric', { name: F.METRIC.name, ...F.METRIC_DATA_FIELD }],
      ['metrics.v1.Exemplar', { timeUnixNano: F.EXEMPLAR.time, spanId: F.EXEMPLAR.spanId, traceId: F.EXEMPLAR.traceId }],
      ['metrics.v1.NumberDataPoint', { asDouble: F.NUMBER_POINT.asDouble, asInt: F.NUMBER_POINT.asInt }],
      ['metrics.v1.HistogramDataPoint', { count: F.HISTOGRAM_POINT.count, sum: F.HISTOGRAM_POINT.sum, bucketCounts: F.HISTOGRAM_POINT.bucketCounts }],
      ['metrics.v1.ExponentialHistogramDataPoint', { count: F.EXP_HISTOGRAM_POINT.count, sum: F.EXP_HISTOGRAM_POINT.sum, zeroCount: F.EXP_HISTOGRAM_POINT.zeroCount,
        positive: F.EXP_HISTOGRAM_POINT.positive, negative: F.EXP_HISTOGRAM_POINT.negative }],
      ['metrics.v1.ExponentialHistogramDataPoint.Buckets', { bucketCounts: F.EXP_BUCKETS.bucketCounts }],
      ['metrics.v1.SummaryDataPoint', { count: F.SUMMARY_POINT.count, sum: F.SUMMARY_POINT.sum }],
      ['metrics.v1.Sum', { aggregationTemporality: F.METRIC_TEMPORALITY, isMonotonic: F.SUM_MONOTONIC }],
      ['metrics.v1.Histogram', { aggregationTemporality: F.METRIC_TEMPORALITY }],
      ['metrics.v1.ExponentialHistogram', { aggregationTemporality: F.METRIC_TEMPORALITY }],
      ['common.v1.KeyValue', { key: F.KEY_VALUE.key, value: F.KEY_VALUE.value }],
      ['common.v1.AnyValue', { stringValue: F.ANY_VALUE.string, boolValue: F.ANY_VALUE.bool, intValue: F.ANY_VALUE.int, doubleValue: F.ANY_VALUE.double }],
      ['resource.v1.Resource', { attributes: F.RESOURCE_ATTRIBUTES }],
      ['trace.v1.ResourceSpans', { resource: F.RESOURCE, scopeSpans: F.SCOPES }],
      ['trace.v1.ScopeSpans', { spans: F.ITEMS }],
      ['collector.trace.v1.ExportTraceServiceRequest', { resourceSpans: F.RESOURCES }],
    ];
    for (const [type, fields] of expected) {
      for (const [name, id] of Object.entries(fields)) expect(fieldId(type, name), `${type}.${name}`).toBe(id);
    }
  });

  it('give every metric data kind its data points, exemplars and attributes', () => {
    const points: Record<string, string> = {
      gauge: 'NumberDataPoint', sum: 'NumberDataPoint', histogram: 'HistogramDataPoint',
      exponentialHistogram: 'ExponentialHistogramDataPoint', summary: 'SummaryDataPoint',
    };
    for (const d of F.METRIC_DATA) {
      const point = `metrics.v1.${points[d.key]}`;
      expect(fieldId(`metrics.v1.${d.key[0]!.toUpperCase()}${d.key.slice(1)}`, 'dataPoints')).toBe(F.DATA_POINTS);
      expect(fieldId(point, 'attributes')).toBe(d.attributes);
      expect(fieldId(point, 'startTimeUnixNano')).toBe(F.POINT.start);
      expect(fieldId(point, 'timeUnixNano')).toBe(F.POINT.time);
      if (d.exemplars < 0) expect(otlpRoot().lookupType(P + point).fields.exemplars).toBeUndefined();
      else expect(fieldId(point, 'exemplars')).toBe(d.exemplars);
    }
  });
});
