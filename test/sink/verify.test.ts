import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../src/otlp/json-decode.js';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import { Verifier } from '../../src/sink/verify.js';
import { encode, logsRequest, metricsRequest, nowNs, span, spansRequest, toJson, tracesRequest } from './fixtures.js';

/** Round-trips through the wire so the verifier sees exactly what protobufjs decodes on the sink. */
function decoded(signal: Signal, obj: Record<string, unknown>): Record<string, unknown> {
  return requestType(signal).decode(encode(signal, obj)) as unknown as Record<string, unknown>;
}

type Check = (v: Verifier, signal: Signal, obj: Record<string, unknown>) => void;

/** The two ways in: decoded objects (OTLP/JSON ends up so) and the encoded bytes walked in place. */
const readers: [string, Check][] = [
  ['decoded requests', (v, signal, obj) => v.check(signal, decoded(signal, obj))],
  ['encoded requests', (v, signal, obj) => v.checkBody(signal, 'proto', encode(signal, obj))],
];

const HOUR_NS = 3_600_000_000_000n;

describe.each(readers)('Verifier reading %s', (_, check) => {
  it('passes clean data of all three signals', () => {
    const v = new Verifier();
    const traceId = randomBytes(16);
    const sent = span({ traceId });
    check(v, 'traces', tracesRequest(10, 5));
    check(v, 'traces', spansRequest([[sent]]));
    check(v, 'metrics', metricsRequest({ distinct: true }));
    check(v, 'logs', logsRequest(4, { traceId, spanId: sent.spanId }));
    const r = v.report();
    expect(r.problems).toEqual({});
    expect(r.ok).toBe(true);
    expect(r.checked).toEqual({ traces: 51, metrics: 9, logs: 4 });
  });

  it('links a log record or exemplar to a span that arrived before it or arrives within the grace time', () => {
    const v = new Verifier();
    const before = span();
    const after = span();
    check(v, 'traces', spansRequest([[before]]));
    check(v, 'logs', logsRequest(2, { traceId: before.traceId, spanId: before.spanId }));
    check(v, 'logs', logsRequest(1, { traceId: after.traceId, spanId: after.spanId }));
    check(v, 'metrics', metricsRequest({ distinct: true, exemplar: { traceId: after.traceId as Uint8Array, spanId: after.spanId as Uint8Array } }));
    expect(v.report()).toMatchObject({ pendingLinks: 1, problems: { orphan_log: 1, orphan_exemplar: 1 } });
    check(v, 'traces', spansRequest([[after]]));
    const r = v.report();
    expect(r.pendingLinks).toBe(0);
    expect(r.problems).toEqual({});
  });

  it('counts log records and exemplars whose span never arrived, and those naming a span of another trace', () => {
    const v = new Verifier();
    const sent = span();
    check(v, 'traces', spansRequest([[sent]]));
    check(v, 'logs', logsRequest(3, { traceId: randomBytes(16), spanId: randomBytes(8) }));
    check(v, 'logs', logsRequest(1, { traceId: randomBytes(16), spanId: sent.spanId }));
    check(v, 'metrics', metricsRequest({ exemplar: { traceId: randomBytes(16), spanId: randomBytes(8) } }));
    const r = v.report();
    // The fourth log record names a span that arrived, but in another trace.
    expect(r.problems).toMatchObject({ orphan_log: 4, orphan_exemplar: 1 });
    expect(r.examples.orphan_log?.[0]?.message).toMatch(/names span [0-9a-f]{16} of trace [0-9a-f]{32}, which did not arrive within 5s/);
    expect(r.ok).toBe(false);
  });

  it('finds zero ids and wrong id lengths', () => {
    const v = new Verifier();
    check(v, 'traces', spansRequest([[
      span({ traceId: new Uint8Array(16) }),
      span({ spanId: new Uint8Array(8) }),
      span({ traceId: randomBytes(15) }),
      span({ spanId: randomBytes(9) }),
      span({ parentSpanId: randomBytes(4) }),
    ]]));
    check(v, 'logs', logsRequest(2, { traceId: randomBytes(8), spanId: new Uint8Array(8) }));
    const r = v.report();
    expect(r.problems).toMatchObject({ zero_trace_id: 1, zero_span_id: 3, bad_trace_id_length: 3, bad_span_id_length: 1, bad_parent_id_length: 1 });
    expect(r.ok).toBe(false);
    expect(r.examples.bad_trace_id_length?.[0]?.message).toBe('trace id has 15 bytes, expected 16');
  });

  it('finds duplicate span ids, also across requests', () => {
    const v = new Verifier();
    const spanId = randomBytes(8);
    check(v, 'traces', spansRequest([[span({ spanId })]]));
    check(v, 'traces', spansRequest([[span({ spanId })]]));
    const r = v.report();
    expect(r.problems.duplicate_span_id).toBe(1);
    expect(r.examples.duplicate_span_id?.[0]?.spanId).toBe(spanId.toString('hex'));
  });

  it('accepts a parent arriving in a later request, counts one that never arrives', () => {
    const v = new Verifier();
    const traceId = randomBytes(16);
    const parent = span({ traceId });
    const missing = randomBytes(8);
    check(v, 'traces', spansRequest([[span({ traceId, parentSpanId: parent.spanId as Uint8Array }), span({ traceId, parentSpanId: missing })]]));
    check(v, 'traces', spansRequest([[parent]]));
    const r = v.report();
    expect(r.problems.orphan).toBe(1);
    expect(r.examples.orphan?.[0]?.message).toContain(missing.toString('hex'));
  });

  it('treats a parent id from another trace as an orphan', () => {
    const v = new Verifier();
    const parent = span();
    check(v, 'traces', spansRequest([[parent, span({ parentSpanId: parent.spanId as Uint8Array })]]));
    expect(v.report().problems.orphan).toBe(1);
  });

  it('forgets ids beyond its window: old duplicates pass, old pending parents become orphans', () => {
    const v = new Verifier({ idWindow: 4 });
    const spanId = randomBytes(8);
    const traceId = randomBytes(16);
    check(v, 'traces', spansRequest([[span({ spanId }), span({ traceId, parentSpanId: randomBytes(8) })]]));
    check(v, 'traces', tracesRequest(6, 1));
    expect(v.report().pendingParents).toBe(0);
    expect(v.report().problems.orphan).toBe(1);
    check(v, 'traces', spansRequest([[span({ spanId })]]));
    expect(v.report().problems.duplicate_span_id).toBeUndefined();
  });

  it('finds start after end, stale and future times', () => {
    const v = new Verifier();
    const now = nowNs();
    check(v, 'traces', spansRequest([[
      span({ start: now, end: now - 1n }),
      span({ start: now - 2n * HOUR_NS }),
      span({ start: now + 2n * HOUR_NS }),
    ]]));
    const r = v.report();
    expect(r.problems.start_after_end).toBe(1);
    // the stale span: start and end; the future span: start and end
    expect(r.problems.time_out_of_window).toBe(4);
    expect(r.examples.time_out_of_window?.[0]?.message).toMatch(/-7200s from now/);
  });

  it('honours a configured time window', () => {
    const v = new Verifier({ timeWindowMs: 60_000 });
    check(v, 'traces', spansRequest([[span({ start: nowNs() - 120_000_000_000n })]]));
    expect(v.report().problems.time_out_of_window).toBe(2);
  });

  it('checks metric time ≥ start and log times, ignoring a log time of 0', () => {
    const v = new Verifier();
    const now = nowNs();
    check(v, 'metrics', metricsRequest({ start: now, time: now - 1000n }));
    check(v, 'logs', logsRequest(3, { timeUnixNano: '0', observedTimeUnixNano: (now - 3n * HOUR_NS).toString() }));
    const r = v.report();
    expect(r.problems.time_before_start).toBe(9);
    expect(r.problems.time_out_of_window).toBe(3);
  });

  it('reads OTLP/JSON as decodeOtlpJson gives it', () => {
    const v = new Verifier();
    const spanId = randomBytes(8);
    const now = nowNs();
    v.check('traces', decodeOtlpJson('traces', toJson('traces', spansRequest([[span({ spanId }), span({ spanId, traceId: new Uint8Array(16), start: now, end: now - 1n })]]))));
    expect(v.report().problems).toEqual({ zero_trace_id: 1, start_after_end: 1 });
    v.check('traces', decodeOtlpJson('traces', toJson('traces', spansRequest([[span({ spanId })]]))));
    expect(v.report().problems).toEqual({ zero_trace_id: 1, start_after_end: 1, duplicate_span_id: 1 });
  });

  it('keeps at most maxExamples examples per kind', () => {
    const v = new Verifier({ maxExamples: 3 });
    check(v, 'traces', spansRequest([Array.from({ length: 10 }, () => span({ traceId: new Uint8Array(16) }))]));
    const r = v.report();
    expect(r.problems.zero_trace_id).toBe(10);
    expect(r.examples.zero_trace_id).toHaveLength(3);
  });
});

describe('Verifier.checkBody', () => {
  it('finds the same problems in the bytes as in the decoded request, with the same examples', () => {
    const spanId = randomBytes(8);
    const now = nowNs();
    const requests: [Signal, Record<string, unknown>][] = [
      ['traces', spansRequest([[span({ spanId }), span({ spanId, traceId: new Uint8Array(16), start: now, end: now - 1n }), span({ parentSpanId: randomBytes(8) })]])],
      ['metrics', metricsRequest({ start: now, time: now - 1000n })],
      ['logs', logsRequest(2, { traceId: randomBytes(8), spanId: new Uint8Array(8), observedTimeUnixNano: (now - 3n * HOUR_NS).toString() })],
    ];
    const fromObjects = new Verifier();
    const fromBytes = new Verifier();
    for (const [signal, obj] of requests) {
      fromObjects.check(signal, decoded(signal, obj));
      fromBytes.checkBody(signal, 'proto', encode(signal, obj));
    }
    const a = fromObjects.report();
    const b = fromBytes.report();
    expect(Object.keys(a.problems).length).toBeGreaterThanOrEqual(6);
    expect(b.problems).toEqual(a.problems);
    expect(b.checked).toEqual(a.checked);
    expect(JSON.parse(JSON.stringify(b.examples))).toEqual(JSON.parse(JSON.stringify(a.examples)));
  });

  it('reports a body that is not a valid request as undecodable, naming the byte', () => {
    const v = new Verifier();
    const good = encode('traces', tracesRequest(1, 2));
    v.checkBody('traces', 'proto', good.subarray(0, good.length - 3));
    const r = v.report();
    expect(r.problems).toEqual({ undecodable: 1 });
    expect(r.examples.undecodable![0]!.message).toMatch(/^proto request does not decode: .*byte \d+/);
    expect(r.checked.traces).toBe(0);
  });
});

describe('Verifier sampling', () => {
  /** A trace id whose first byte puts it in (low) or out of (high) a sample of 1/4. */
  const traceIdStarting = (first: number) => Buffer.concat([Buffer.from([first]), randomBytes(15)]);

  it.each(readers)('checks whole traces chosen by trace id and reports what it left out (%s)', (_, check) => {
    const v = new Verifier({ sample: 0.25 });
    const inSample = traceIdStarting(0x10);
    const outOfSample = traceIdStarting(0xf0);
    const root = span({ traceId: inSample });
    // Both traces have a child whose parent never arrives: only the sampled one is reported.
    check(v, 'traces', spansRequest([[
      root, span({ traceId: inSample, parentSpanId: root.spanId as Uint8Array }), span({ traceId: inSample, parentSpanId: randomBytes(8) }),
      span({ traceId: outOfSample }), span({ traceId: outOfSample, parentSpanId: randomBytes(8) }),
    ]]));
    const r = v.report();
    expect(r.checked.traces).toBe(3);
    expect(r.unsampled).toEqual({ traces: 2, metrics: 0, logs: 0 });
    expect(r.problems).toEqual({ orphan: 1 });
    expect(r.examples.orphan![0]!.traceId).toBe(inSample.toString('hex'));
    expect(r.policy.sample).toBe(0.25);
  });

  it('checks every Nth request against the schema when sampling 1/N, every request otherwise', () => {
    const sampled = new Verifier({ sample: 0.25 });
    const all = new Verifier();
    for (let i = 0; i < 8; i++) {
      sampled.checkBody('traces', 'proto', encode('traces', tracesRequest(2, 2)));
      all.checkBody('traces', 'proto', encode('traces', tracesRequest(2, 2)));
    }
    expect(sampled.report().schemaCheckedRequests).toBe(2);
    expect(all.report()).toMatchObject({ schemaCheckedRequests: 8, unsampled: { traces: 0 }, checked: { traces: 32 }, policy: { sample: 1 } });
  });

  it('refuses a sample outside (0, 1]', () => {
    expect(() => new Verifier({ sample: 0 })).toThrow(/sample must be in \(0, 1\]/);
    expect(() => new Verifier({ sample: 1.5 })).toThrow(/sample must be in \(0, 1\]/);
  });
});
