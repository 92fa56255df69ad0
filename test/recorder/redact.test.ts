import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { DEFAULT_REDACT, Redactor } from '../../src/recorder/redact.js';

const str = (v: string) => ({ stringValue: v });
const kv = (key: string, value: object) => ({ key, value });

function spanRequest(spanAttrs: object[], resourceAttrs: object[] = [kv('service.name', str('shop'))]) {
  return requestType('traces').encode({
    resourceSpans: [{
      resource: { attributes: resourceAttrs },
      scopeSpans: [{
        scope: { name: 'lib', attributes: [kv('lib.token', str('scope-secret'))] },
        spans: [{
          traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'GET /cart', startTimeUnixNano: 5, endTimeUnixNano: 9,
          attributes: spanAttrs,
          events: [{ name: 'login', timeUnixNano: 6, attributes: [kv('user.password', str('hunter2'))] }],
          links: [{ traceId: Buffer.alloc(16, 3), spanId: Buffer.alloc(8, 4), attributes: [kv('Cookie', str('sid=abc'))] }],
        }],
      }],
    }],
  }).finish();
}

const decode = (signal: 'traces' | 'logs' | 'metrics', b: Uint8Array) => requestType(signal).toObject(requestType(signal).decode(b), { longs: Number, bytes: String }) as any;

describe('Redactor', () => {
  it('blanks values whose key matches a default pattern at every level: resource, scope, span, event, link', () => {
    const r = new Redactor(DEFAULT_REDACT);
    const body = spanRequest([kv('http.request.header.authorization', str('Bearer abc.def')), kv('http.route', str('/cart')), kv('x-api_key', { intValue: 42 })],
      [kv('service.name', str('shop')), kv('db.password', str('pw'))]);
    const out = decode('traces', r.redact('traces', body));
    const rs = out.resourceSpans[0];
    const span = rs.scopeSpans[0].spans[0];
    expect(rs.resource.attributes).toEqual([kv('service.name', str('shop')), kv('db.password', str(''))]);
    expect(rs.scopeSpans[0].scope.attributes).toEqual([kv('lib.token', str(''))]);
    expect(span.attributes).toEqual([kv('http.request.header.authorization', str('')), kv('http.route', str('/cart')), kv('x-api_key', str(''))]);
    expect(span.events[0].attributes).toEqual([kv('user.password', str(''))]);
    expect(span.links[0].attributes).toEqual([kv('Cookie', str(''))]);
    // everything else survives byte for byte
    expect(span).toMatchObject({ name: 'GET /cart', startTimeUnixNano: 5, endTimeUnixNano: 9 });
    expect(r.blanked).toBe(6);
  });

  it('blanks string values holding an email address, nested in arrays and maps too, and log bodies', () => {
    const r = new Redactor([]);
    const body = requestType('logs').encode({
      resourceLogs: [{
        scopeLogs: [{
          logRecords: [{
            body: str('password reset sent to ann@example.com'),
            attributes: [
              kv('enduser.id', str('ann@example.com')),
              kv('recipients', { arrayValue: { values: [str('ok'), str('bob@example.org')] } }),
              kv('ctx', { kvlistValue: { values: [kv('mail', str('x <carl@mail.example.co.uk>')), kv('n', { intValue: 1 })] } }),
              kv('handle', str('@ann')),
            ],
          }],
        }],
      }],
    }).finish();
    const log = decode('logs', r.redact('logs', body)).resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(log.body).toEqual(str(''));
    expect(log.attributes).toEqual([
      kv('enduser.id', str('')),
      kv('recipients', { arrayValue: { values: [str('ok'), str('')] } }),
      kv('ctx', { kvlistValue: { values: [kv('mail', str('')), kv('n', { intValue: 1 })] } }),
      kv('handle', str('@ann')),
    ]);
  });

  it('blanks data point and exemplar attributes of every metric kind', () => {
    const r = new Redactor(['.*secret.*']);
    const point = { timeUnixNano: 1, asInt: 3, attributes: [kv('secret_name', str('s1')), kv('k', str('v'))], exemplars: [{ timeUnixNano: 1, asInt: 1, filteredAttributes: [kv('my.secret', str('s2'))] }] };
    const body = requestType('metrics').encode({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [point] } }, { name: 'h', histogram: { dataPoints: [{ ...point, asInt: undefined, count: 1 }] } }] }] }],
    }).finish();
    const metrics = decode('metrics', r.redact('metrics', body)).resourceMetrics[0].scopeMetrics[0].metrics;
    for (const p of [metrics[0].gauge.dataPoints[0], metrics[1].histogram.dataPoints[0]]) {
      expect(p.attributes).toEqual([kv('secret_name', str('')), kv('k', str('v'))]);
      expect(p.exemplars[0].filteredAttributes).toEqual([kv('my.secret', str(''))]);
    }
  });

  it('returns the request itself when nothing matches, and matches whole keys only, case-insensitively', () => {
    const r = new Redactor(['token']);
    const body = spanRequest([kv('tokens.count', { intValue: 3 })], []);
    expect(r.redact('traces', body)).toBe(body);
    const out = decode('traces', r.redact('traces', spanRequest([kv('TOKEN', str('t'))], [])));
    expect(out.resourceSpans[0].scopeSpans[0].spans[0].attributes).toEqual([kv('TOKEN', str(''))]);
  });

  it('refuses a pattern that is not a regular expression', () => {
    expect(() => new Redactor(['('])).toThrow(/redact pattern "\(" is not a regular expression/);
  });
});
