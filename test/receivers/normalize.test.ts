import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import { normalize, type NormalizeOptions } from '../../src/receivers/normalize.js';
import { ABSOLUTE_BASE, logsRequest, metricsRequest, spanId, traceId } from '../helpers/templates.js';
import { decodeTemplate, type TemplateData } from '../../src/receivers/template-data.js';
import { fails } from '../helpers/errors.js';

/** Loaded templates are wire bytes: decode them to look at them as objects. */
const decoded = (d: TemplateData): any => decodeTemplate(d.signal, d.bytes!);

function span(extra: Record<string, unknown>): Record<string, unknown> {
  return { traceId: traceId(0), spanId: spanId(0, 0), name: 's', ...extra };
}

function traces(spans: Record<string, unknown>[]): any {
  return requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

function spansOf(req: any): any[] {
  return req.resourceSpans[0].scopeSpans[0].spans;
}

/** normalize works on encoded requests; these tests build them as objects. */
function norm(signal: Signal, request: any, source: string, opts?: NormalizeOptions) {
  return normalize(signal, Buffer.from(requestType(signal).encode(request).finish()), source, opts);
}

/** Times as exact decimal strings (recorded times are above 2^53). */
function exactTimes(d: TemplateData): string[][] {
  const req = requestType('traces').toObject(requestType('traces').decode(d.bytes!), { longs: String }) as any;
  return spansOf(req).map((s: any) => [s.startTimeUnixNano ?? '0', s.endTimeUnixNano ?? '0', ...(s.events ?? []).map((e: any) => e.timeUnixNano)]);
}


describe('normalize', () => {
  it('stamps absent and zero times as relative 0, as Numbers', () => {
    const req = decoded(norm('traces', traces([span({ events: [{ name: 'e' }] })]), 'mem'));
    const s = spansOf(req)[0];
    expect([s.startTimeUnixNano, s.endTimeUnixNano, s.events[0].timeUnixNano]).toEqual([0, 0, 0]);
    expect(typeof s.startTimeUnixNano).toBe('number');
  });

  it('keeps relative times, converting Longs to Numbers', () => {
    const req = traces([span({ startTimeUnixNano: '1500', endTimeUnixNano: '999999999999999' })]);
    const s = spansOf(decoded(norm('traces', req, 'mem')))[0];
    expect([s.startTimeUnixNano, s.endTimeUnixNano]).toEqual([1500, 999999999999999]);
  });

  it('rebases each trace on its own earliest time, ignoring zero (unset) fields', () => {
    const b = ABSOLUTE_BASE;
    const req = traces([
      span({ startTimeUnixNano: String(b + 10n), endTimeUnixNano: String(b + 20n) }),
      span({ traceId: traceId(1), spanId: spanId(1, 0), startTimeUnixNano: String(b + 5_000_000_000n), endTimeUnixNano: '0' }),
      span({ spanId: spanId(0, 1), startTimeUnixNano: String(b + 3n), endTimeUnixNano: String(b + 2n ** 40n) }),
    ]);
    const got = spansOf(decoded(norm('traces', req, 'mem'))).map((s) => [s.startTimeUnixNano, s.endTimeUnixNano]);
    expect(got).toEqual([
      [7, 17],
      [0, 0],
      [0, 2 ** 40 - 3],
    ]);
  });

  it('applies and strips _template.* attributes (int and string values), moving events along', () => {
    const req = traces([
      span({
        startTimeUnixNano: String(ABSOLUTE_BASE),
        endTimeUnixNano: String(ABSOLUTE_BASE + 100n),
        events: [{ name: 'e', timeUnixNano: String(ABSOLUTE_BASE + 40n) }],
        attributes: [
          { key: '_template.start_offset_nanos', value: { intValue: '2500' } },
          { key: 'keep', value: { stringValue: 'me' } },
          { key: '_template.duration_nanos', value: { stringValue: '9007199254730000' } },
          { key: '_template.other', value: { boolValue: true } },
        ],
      }),
    ]);
    const s = spansOf(decoded(norm('traces', req, 'mem')))[0];
    expect([s.startTimeUnixNano, s.endTimeUnixNano, s.events[0].timeUnixNano]).toEqual([2500, 9007199254732500, 2540]);
    expect(s.attributes.map((a: any) => a.key)).toEqual(['keep']);
  });

  it('rejects a non-numeric _template value, naming the span', () => {
    const req = traces([span({ attributes: [{ key: '_template.duration_nanos', value: { stringValue: 'soon' } }] })]);
    const err = fails(() => norm('traces', req, 'seed.pb'));
    expect(err.message).toContain('seed.pb: span "s" at resourceSpans[0].scopeSpans[0].spans[0]: _template.duration_nanos');
  });

  it('validates optional ids on links, logs and exemplars', () => {
    let err = fails(() => norm('traces', traces([span({ links: [{ traceId: Buffer.alloc(3) }] })]), 'mem'));
    expect(err.message).toContain('links[0].traceId has 3 bytes');
    const logs = logsRequest({ records: 2 });
    logs.resourceLogs[0].scopeLogs[0].logRecords[1].spanId = Buffer.alloc(16);
    err = fails(() => norm('logs', logs, 'mem'));
    expect(err.message).toContain('log record at resourceLogs[0].scopeLogs[0].logRecords[1]: spanId has 16 bytes, expected 8 bytes or empty');
    const metrics = metricsRequest({ points: 1 });
    metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].exemplars[0].traceId = Buffer.alloc(8);
    err = fails(() => norm('metrics', metrics, 'mem'));
    expect(err.message).toContain('metric "requests"');
  });

  it('rebases metrics and logs per file across resources', () => {
    const m = metricsRequest({ points: 2, absolute: true });
    const other = metricsRequest({ points: 1, absolute: true });
    other.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].startTimeUnixNano = Number(0);
    m.resourceMetrics.push(other.resourceMetrics[0]);
    const out = decoded(norm('metrics', m, 'mem'));
    const dp = out.resourceMetrics[1].scopeMetrics[0].metrics[0].sum.dataPoints[0];
    expect([dp.startTimeUnixNano, dp.timeUnixNano]).toEqual([0, 1_000_000_000 - 1000]);
  });

  it('refuses times spanning more than 2^53 ns instead of losing precision', () => {
    const req = traces([span({ startTimeUnixNano: String(ABSOLUTE_BASE), endTimeUnixNano: String(ABSOLUTE_BASE + 2n ** 53n) })]);
    expect(fails(() => norm('traces', req, 'mem')).code).toBe('ERR_TEMPLATE_MALFORMED');
  });

  it('keeps recorded times exactly for a pipeline without the timestamp processor, and says they are absolute', () => {
    const b = ABSOLUTE_BASE;
    const req = traces([
      span({ startTimeUnixNano: String(b + 10n), endTimeUnixNano: String(b + 20n), events: [{ name: 'e', timeUnixNano: String(b + 15n) }] }),
      span({ spanId: spanId(0, 1), startTimeUnixNano: String(b + 3n), endTimeUnixNano: String(b + 4n) }),
    ]);
    const kept = norm('traces', req, 'mem', { relativeTimes: false });
    expect(exactTimes(kept)).toEqual([[String(b + 10n), String(b + 20n), String(b + 15n)], [String(b + 3n), String(b + 4n)]]);
    expect(kept.absoluteTimes).toBe(true);
    // The default (with timestamp) rebases as before and never says absolute.
    const rebased = norm('traces', req, 'mem');
    expect(exactTimes(rebased)).toEqual([['7', '17', '12'], ['0', '1']]);
    expect(rebased.absoluteTimes).toBeUndefined();
    expect(norm('traces', traces([span({ startTimeUnixNano: '5', endTimeUnixNano: '9' })]), 'mem', { relativeTimes: false }).absoluteTimes).toBeUndefined();
  });

  it('places _template.* spans on their trace\'s recorded start when times are kept', () => {
    const b = ABSOLUTE_BASE;
    const req = traces([
      span({ startTimeUnixNano: String(b + 100n), endTimeUnixNano: String(b + 200n) }),
      span({
        spanId: spanId(0, 1), startTimeUnixNano: '1', endTimeUnixNano: '2',
        attributes: [{ key: '_template.start_offset_nanos', value: { intValue: String(2n ** 33n + 7n) } }, { key: '_template.duration_nanos', value: { intValue: '50' } }],
      }),
    ]);
    expect(exactTimes(norm('traces', req, 'mem', { relativeTimes: false }))[1]).toEqual([String(b + 100n + 2n ** 33n + 7n), String(b + 100n + 2n ** 33n + 57n)]);
  });

  it('rejects a request with no events', () => {
    expect(fails(() => norm('metrics', requestType('metrics').create(), 'gen')).code).toBe('ERR_TEMPLATE_EMPTY');
  });
});
