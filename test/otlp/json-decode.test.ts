import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../src/otlp/json-decode.js';
import { requestType } from '../../src/otlp/proto.js';
import { SIGNAL_NAMES } from '../../src/otlp/signals.js';
import { requestFor, toOtlpJson } from '../helpers/templates.js';
import { fails } from '../helpers/errors.js';


const TRACE = '5B8EFFF798038103D269B633813FC60C';
const SPAN = 'eee19b7ec3c1b174';

describe('decodeOtlpJson', () => {
  for (const signal of SIGNAL_NAMES) {
    it(`${signal}: gives the same bytes as binary decode`, () => {
      const type = requestType(signal);
      const request = requestFor(signal, true);
      const decoded = decodeOtlpJson(signal, JSON.stringify(toOtlpJson(signal, request)));
      expect(Buffer.from(type.encode(decoded).finish()).equals(Buffer.from(type.encode(request).finish()))).toBe(true);
    });
  }

  it('reads spec-style JSON: hex ids in any case, string 64-bit ints, enums as ints or names, base64 bytes', () => {
    const text = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN.toUpperCase(),
                  parentSpanId: '',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1732700000123456789',
                  endTimeUnixNano: 1732700000,
                  status: { code: 2 },
                  attributes: [
                    { key: 'b', value: { bytesValue: Buffer.from('hi').toString('base64') } },
                    { key: 'i', value: { intValue: '-9223372036854775808' } },
                    { key: 'd', value: { doubleValue: 'NaN' } },
                  ],
                  links: [{ traceId: TRACE.toLowerCase(), spanId: SPAN }],
                },
              ],
            },
          ],
        },
      ],
    });
    const span = decodeOtlpJson('traces', text).resourceSpans[0].scopeSpans[0].spans[0];
    expect(Buffer.from(span.traceId).toString('hex')).toBe(TRACE.toLowerCase());
    expect(Buffer.from(span.spanId).toString('hex')).toBe(SPAN);
    expect(span.parentSpanId.length).toBe(0);
    expect(span.kind).toBe(2);
    expect(span.startTimeUnixNano.toString()).toBe('1732700000123456789');
    expect(span.endTimeUnixNano.toString()).toBe('1732700000');
    expect(span.status.code).toBe(2);
    expect(Buffer.from(span.attributes[0].value.bytesValue).toString()).toBe('hi');
    expect(span.attributes[1].value.intValue.toString()).toBe('-9223372036854775808');
    expect(span.attributes[2].value.doubleValue).toBeNaN();
    expect(Buffer.from(span.links[0].spanId).toString('hex')).toBe(SPAN);
  });

  it('accepts snake_case keys and ignores unknown fields', () => {
    const text = JSON.stringify({
      resource_logs: [{ scope_logs: [{ log_records: [{ time_unix_nano: '42', trace_id: TRACE, severity_number: 9, mystery: { x: 1 } }] }] }],
      future: true,
    });
    const log = decodeOtlpJson('logs', text).resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(log.timeUnixNano.toString()).toBe('42');
    expect(Buffer.from(log.traceId).toString('hex')).toBe(TRACE.toLowerCase());
    expect(log.severityNumber).toBe(9);
  });

  it('decodes exemplar ids as hex', () => {
    const text = JSON.stringify({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asDouble: 1, exemplars: [{ traceId: TRACE, spanId: SPAN }] }] } }] }] }],
    });
    const ex = decodeOtlpJson('metrics', text).resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0];
    expect(Buffer.from(ex.spanId).toString('hex')).toBe(SPAN);
  });

  const spanWith = (fields: Record<string, unknown>) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, ...fields }] }] }] });

  it.each([
    [{ traceId: 'xyz' }, 'traceId: invalid hex id "xyz"'],
    [{ spanId: 'abc' }, 'spanId: invalid hex id "abc"'],
    [{ spanId: 'abcd' }, 'spanId: id has 2 bytes, expected 8'],
    [{ startTimeUnixNano: '12.5' }, 'startTimeUnixNano: expected a fixed64'],
    [{ startTimeUnixNano: '-1' }, 'startTimeUnixNano: expected a fixed64'],
    [{ startTimeUnixNano: '18446744073709551616' }, 'startTimeUnixNano: expected a fixed64'],
    [{ kind: 'SPAN_KIND_BOGUS' }, 'kind: expected a SpanKind number or name'],
    [{ attributes: {} }, 'attributes: expected an array'],
    [{ status: 'ok' }, 'status: expected an object'],
    [{ name: 5 }, 'name: expected a string'],
    [{ droppedAttributesCount: -1 }, 'droppedAttributesCount: expected a uint32'],
    [{ attributes: [{ key: 'k', value: { bytesValue: '!!' } }] }, 'bytesValue: invalid base64'],
  ])('rejects %j with a path', (fields, message) => {
    const err = fails(() => decodeOtlpJson('traces', spanWith(fields), 'in.json'));
    expect(err.code).toBe('ERR_TEMPLATE_JSON');
    expect(err.message).toContain('in.json: resourceSpans[0].scopeSpans[0].spans[0].');
    expect(err.message).toContain(message);
  });

  it('reports syntax errors, non-objects, wrong signals and deep nesting', () => {
    expect(fails(() => decodeOtlpJson('traces', '{"resourceSpans": [', 'x.json')).message).toMatch(/^x\.json: .*invalid JSON/);
    expect(fails(() => decodeOtlpJson('traces', '[1]')).message).toContain('expected a JSON object');
    const wrong = fails(() => decodeOtlpJson('traces', '{"resourceLogs": []}'));
    expect(wrong.code).toBe('ERR_TEMPLATE_WRONG_SIGNAL');
    let deep = '{"stringValue":"x"}';
    for (let i = 0; i < 100; i++) deep = `{"arrayValue":{"values":[${deep}]}}`;
    const err = fails(() => decodeOtlpJson('traces', spanWith({ attributes: [{ key: 'k', value: JSON.parse(deep) }] })));
    expect(err.message).toContain('nested deeper than');
  });
});
