import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/errors.js';
import { JsonShapeError } from '../../src/errors.js';
import { countJson, countJsonBy, countProto, countProtoBy } from '../../src/sink/counter.js';
import { encode, logsRequest, METRICS_POINTS, metricsRequest, span, spansRequest, toJson, tracesRequest } from './fixtures.js';

describe('countProto', () => {
  it('counts spans across resources and scopes', () => {
    expect(countProto('traces', encode('traces', tracesRequest(7, 5)))).toBe(35);
  });

  it('counts data points of every metric kind, not metrics', () => {
    expect(countProto('metrics', encode('metrics', metricsRequest()))).toBe(METRICS_POINTS);
  });

  it('counts log records across scopes', () => {
    expect(countProto('logs', encode('logs', logsRequest(12)))).toBe(12);
  });

  it('counts an empty request as zero events', () => {
    expect(countProto('traces', Buffer.alloc(0))).toBe(0);
  });

  it('names the byte offset of a truncated body', () => {
    const body = encode('traces', tracesRequest(2, 3));
    const cut = body.subarray(0, body.length - 10);
    let err: unknown;
    try {
      countProto('traces', cut);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).offset).toBeGreaterThanOrEqual(0);
    expect((err as WireError).offset).toBeLessThan(cut.length);
    expect((err as WireError).message).toMatch(/at byte \d+/);
  });

  it('rejects a known envelope field with the wrong wire type, at its tag', () => {
    // field 1 (resource_spans) as a varint: tag 0x08 at byte 0
    expect(() => countProto('traces', Buffer.from([0x08, 0x01]))).toThrow(/field 1 has wire type 0.*at byte 0/);
  });
});

describe('countJson', () => {
  it('counts what the protobuf walk counts, for all three signals', () => {
    const cases = [['traces', tracesRequest(3, 4), 12], ['metrics', metricsRequest(), METRICS_POINTS], ['logs', logsRequest(5), 5]] as const;
    for (const [signal, req, n] of cases) expect(countJson(signal, JSON.parse(toJson(signal, req)))).toBe(n);
  });

  it('ignores snake_case keys, as OTLP/JSON receivers must', () => {
    expect(countJson('traces', { resource_spans: [{ scope_spans: [{ spans: [{}] }] }] })).toBe(0);
  });

  it('names the key path of a wrong shape', () => {
    expect(() => countJson('logs', { resourceLogs: [{ scopeLogs: {} }] })).toThrow(JsonShapeError);
    expect(() => countJson('logs', { resourceLogs: [{ scopeLogs: {} }] })).toThrow('$.resourceLogs[0].scopeLogs');
    expect(() => countJson('traces', [])).toThrow('$: expected an object');
  });
});

describe('countProtoBy and countJsonBy', () => {
  /** Three resources tagged with replica 0, 1 and none, with 2, 3 and 4 spans. */
  function tagged(): Record<string, unknown> {
    const req = spansRequest([[span(), span()], [span(), span(), span()], [span(), span(), span(), span()]]) as { resourceSpans: { resource: { attributes: unknown[] } }[] };
    req.resourceSpans[0]!.resource.attributes.push({ key: 'loadtest.replica', value: { stringValue: '0' } });
    req.resourceSpans[1]!.resource.attributes.push({ key: 'loadtest.replica', value: { intValue: 1 } });
    return req;
  }

  it('counts the events of each resource under the value of the attribute, and those without it under ""', () => {
    const by = new Map<string, number>();
    countProtoBy('traces', encode('traces', tagged()), 'loadtest.replica', by);
    countProtoBy('traces', encode('traces', tagged()), 'loadtest.replica', by);
    expect(Object.fromEntries(by)).toEqual({ '0': 4, '1': 6, '': 8 });
  });

  it('counts OTLP/JSON the same way', () => {
    const by = new Map<string, number>();
    countJsonBy('traces', JSON.parse(toJson('traces', tagged())), 'loadtest.replica', by);
    expect(Object.fromEntries(by)).toEqual({ '0': 2, '1': 3, '': 4 });
  });

  it('counts data points for metrics and log records for logs', () => {
    const metrics = new Map<string, number>();
    countProtoBy('metrics', encode('metrics', metricsRequest()), 'service.name', metrics);
    expect(Object.fromEntries(metrics)).toEqual({ '': METRICS_POINTS });
    const logs = new Map<string, number>();
    countJsonBy('logs', JSON.parse(toJson('logs', logsRequest(5))), 'service.name', logs);
    expect(Object.fromEntries(logs)).toEqual({ '': 5 });
  });
});
