import { describe, expect, it } from 'vitest';
import { encodeOtlpJson, type JsonSite } from '../../src/otlp/json-encode.js';
import { requestType } from '../../src/otlp/proto.js';

const tid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const sid = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i);

describe('encodeOtlpJson', () => {
  it('writes OTLP/JSON conventions: camelCase, hex ids, 64-bit as strings, enums as ints', () => {
    const req = requestType('traces').fromObject({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout "x"' } }] },
        scopeSpans: [{
          spans: [{
            traceId: tid, spanId: sid, name: 'GET /', kind: 2,
            startTimeUnixNano: 1700000000000000001n.toString(), endTimeUnixNano: 5,
            attributes: [
              { key: 'n', value: { intValue: 0 } },
              { key: 'b', value: { bytesValue: Uint8Array.of(1, 2, 3) } },
              { key: 'd', value: { doubleValue: NaN } },
            ],
            status: { code: 2 },
          }],
        }],
      }],
    });
    const text = encodeOtlpJson('traces', req);
    const obj = JSON.parse(text);
    const span = obj.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(span.spanId).toBe('a0a1a2a3a4a5a6a7');
    expect(span.startTimeUnixNano).toBe('1700000000000000001');
    expect(span.endTimeUnixNano).toBe('5');
    expect(span.kind).toBe(2);
    expect(span.status).toEqual({ code: 2 });
    expect(span.parentSpanId).toBeUndefined();
    expect(span.attributes).toEqual([
      { key: 'n', value: { intValue: '0' } },
      { key: 'b', value: { bytesValue: 'AQID' } },
      { key: 'd', value: { doubleValue: 'NaN' } },
    ]);
    expect(obj.resourceSpans[0].resource.attributes[0].value.stringValue).toBe('checkout "x"');
  });

  it('reports the offset of every id and time, and pads times to 19 digits on request', () => {
    const req = requestType('logs').fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [
        { timeUnixNano: 7, observedTimeUnixNano: 8, traceId: tid, spanId: sid, body: { stringValue: 'é ok' } },
        { timeUnixNano: 9, body: { stringValue: 'no ids' } },
      ] }] }],
    });
    const sites: JsonSite[] = [];
    const text = encodeOtlpJson('logs', req, { fixedWidthTimes: true, onSite: (s) => sites.push(s) });
    expect(sites.map((s) => s.kind)).toEqual(['time', 'time', 'traceId', 'spanId', 'time']);
    const widths = { time: 19, traceId: 32, spanId: 16 };
    for (const s of sites) {
      expect(text[s.offset - 1]).toBe('"');
      expect(text[s.offset + widths[s.kind]]).toBe('"');
    }
    expect(text.slice(sites[0]!.offset, sites[0]!.offset + 19)).toBe('0000000000000000007');
    expect(JSON.parse(text).resourceLogs[0].scopeLogs[0].logRecords[1].traceId).toBeUndefined();
  });

  it('keeps set optional and oneof members even when zero, and metrics enums as ints', () => {
    const req = requestType('metrics').fromObject({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [
        { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ count: 3, sum: 0, bucketCounts: [1, 2], explicitBounds: [0.5] }] } },
        { name: 'g', gauge: { dataPoints: [{ asInt: 0 }] } },
      ] }] }],
    });
    const m = JSON.parse(encodeOtlpJson('metrics', req)).resourceMetrics[0].scopeMetrics[0].metrics;
    expect(m[0].histogram).toEqual({ dataPoints: [{ count: '3', sum: 0, bucketCounts: ['1', '2'], explicitBounds: [0.5] }], aggregationTemporality: 2 });
    expect(m[1].gauge.dataPoints[0]).toEqual({ asInt: '0' });
  });
});
