import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { checkWire, guessWireSignal } from '../../src/otlp/wire-check.js';
import { SIGNAL_NAMES } from '../../src/otlp/signals.js';
import { encodeTemplate, requestFor } from '../helpers/templates.js';

const traces = requestType('traces');

function wireError(buf: Uint8Array): WireError {
  try {
    checkWire(buf, traces);
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return err as WireError;
  }
  throw new Error('expected a WireError');
}

/** request → resourceSpans → scopeSpans → span with the given encoded fields. */
function wrapSpan(span: number[]): Buffer {
  const ss = [0x12, span.length, ...span];
  const rs = [0x12, ss.length, ...ss];
  return Buffer.from([0x0a, rs.length, ...rs]);
}

describe('checkWire', () => {
  it('accepts valid requests, including 10-byte negative int64 varints', () => {
    const req = traces.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x', attributes: [{ key: 'n', value: { intValue: '-1' } }] }] }] }],
    });
    const bytes = traces.encode(req).finish();
    expect(() => checkWire(bytes, traces)).not.toThrow();
    expect((traces.decode(bytes) as any).resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue.toString()).toBe('-1');
  });

  it('rejects a 6-byte tag that protobufjs would misread, at its offset', () => {
    const err = wireError(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00]));
    expect(err.offset).toBe(0);
    expect(err.message).toContain('tag varint of 6 bytes');
  });

  it('rejects a 6-byte varint in a 32-bit field (Span.kind) but not a 10-byte one', () => {
    expect(wireError(wrapSpan([0x30, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00])).message).toContain('varint of 6 bytes');
    expect(() => checkWire(wrapSpan([0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), traces)).not.toThrow();
  });

  it('rejects packed fixed64 runs that do not divide into 8 bytes', () => {
    const metrics = requestType('metrics');
    // request → rm → sm → metric{histogram(9){dataPoints(1){bucketCounts(6) packed, 5 bytes}}}
    const dp = [0x32, 5, 1, 2, 3, 4, 5];
    const hist = [0x0a, dp.length, ...dp];
    const metric = [0x4a, hist.length, ...hist];
    const sm = [0x12, metric.length, ...metric];
    const rm = [0x12, sm.length, ...sm];
    const buf = Buffer.from([0x0a, rm.length, ...rm]);
    let err: unknown;
    try {
      checkWire(buf, metrics);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).message).toContain('truncated 8-byte field');
  });

  it('bounds nesting depth', () => {
    // AnyValue.arrayValue(5) → ArrayValue.values(1) → AnyValue … 100 levels deep inside a KeyValue.
    let inner = Buffer.from([0x0a, 0x00]); // AnyValue{stringValue: ''}
    for (let i = 0; i < 100; i++) {
      const arr = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
      inner = Buffer.concat([Buffer.from([0x2a]), varint(arr.length), arr]);
    }
    const kv = Buffer.concat([Buffer.from([0x12]), varint(inner.length), inner]);
    const span = Buffer.concat([Buffer.from([0x4a]), varint(kv.length), kv]);
    const ss = Buffer.concat([Buffer.from([0x12]), varint(span.length), span]);
    const rs = Buffer.concat([Buffer.from([0x12]), varint(ss.length), ss]);
    const req = Buffer.concat([Buffer.from([0x0a]), varint(rs.length), rs]);
    expect(wireError(req).message).toContain('nested deeper than');
  });
});

describe('guessWireSignal', () => {
  for (const signal of SIGNAL_NAMES) {
    it(`recognizes ${signal}`, () => {
      const bytes = encodeTemplate(signal, requestFor(signal, true));
      expect(guessWireSignal(bytes)).toBe(signal);
      for (const other of SIGNAL_NAMES) expect(guessWireSignal(bytes, other)).toBe(signal);
    });
  }

  it('is unsure about garbage and empty input', () => {
    expect(guessWireSignal(new Uint8Array(0))).toBeUndefined();
    expect(guessWireSignal(Buffer.from([0x0a, 0x03, 0x12, 0x01, 0xff]))).toBeUndefined();
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
