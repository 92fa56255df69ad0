import { describe, expect, it } from 'vitest';
import { parseJsonResponse, parseProtoResponse, truncateMessage } from '../../src/exporters/partial-success.js';
import { responseType } from '../../src/otlp/proto.js';
import { SIGNALS, SIGNAL_NAMES } from '../../src/otlp/signals.js';

describe('parseProtoResponse', () => {
  it.each(SIGNAL_NAMES)('reads rejected count and message of a %s response', (signal) => {
    const type = responseType(signal);
    const bytes = type.encode(type.fromObject({ partialSuccess: { [SIGNALS[signal].rejectedField]: 42, errorMessage: 'dropped: too old' } })).finish();
    expect(parseProtoResponse(bytes)).toEqual({ rejected: 42, message: 'dropped: too old' });
  });

  it('an empty response rejects nothing', () => {
    expect(parseProtoResponse(new Uint8Array(0))).toEqual({ rejected: 0 });
  });

  it('a message without a count is kept (a warning from the endpoint)', () => {
    const type = responseType('logs');
    const bytes = type.encode(type.fromObject({ partialSuccess: { errorMessage: 'deprecated field' } })).finish();
    expect(parseProtoResponse(bytes)).toEqual({ rejected: 0, message: 'deprecated field' });
  });

  it('reads a response inside a larger buffer (offsets are respected)', () => {
    const type = responseType('traces');
    const bytes = type.encode(type.fromObject({ partialSuccess: { rejectedSpans: 3 } })).finish();
    const big = new Uint8Array(bytes.length + 8).fill(0xff);
    big.set(bytes, 4);
    expect(parseProtoResponse(big.subarray(4, 4 + bytes.length))).toEqual({ rejected: 3 });
  });

  it('reports a malformed body as unparsed, not thrown', () => {
    const out = parseProtoResponse(new Uint8Array([0x0a, 0x05, 0x08]));
    expect(out.rejected).toBe(0);
    expect(out.message).toBeUndefined();
    expect(out.unparsed).toMatch(/malformed protobuf response: .* at byte 1/);
  });

  it('reports an HTML page as unparsed', () => {
    expect(parseProtoResponse(Buffer.from('<!DOCTYPE html><title>Sign in</title>')).unparsed).toMatch(/malformed protobuf response/);
  });
});

describe('parseJsonResponse', () => {
  it('reads counts given as numbers or int64 strings', () => {
    expect(parseJsonResponse('metrics', '{"partialSuccess":{"rejectedDataPoints":"17","errorMessage":"nan"}}')).toEqual({ rejected: 17, message: 'nan' });
    expect(parseJsonResponse('logs', '{"partialSuccess":{"rejectedLogRecords":4}}')).toEqual({ rejected: 4 });
  });

  it('uses the field of the signal', () => {
    expect(parseJsonResponse('traces', '{"partialSuccess":{"rejectedLogRecords":4}}')).toEqual({ rejected: 0 });
  });

  it('empty and {} bodies reject nothing; bad JSON and non-objects are unparsed', () => {
    expect(parseJsonResponse('traces', '')).toEqual({ rejected: 0 });
    expect(parseJsonResponse('traces', '{}')).toEqual({ rejected: 0 });
    expect(parseJsonResponse('traces', '<html>')).toEqual({ rejected: 0, unparsed: 'not a JSON response: <html>' });
    expect(parseJsonResponse('traces', '["ok"]')).toEqual({ rejected: 0, unparsed: 'JSON response is not an object: ["ok"]' });
  });
});

describe('truncateMessage', () => {
  it('flattens whitespace and truncates long text', () => {
    expect(truncateMessage(' a\n  b ')).toBe('a b');
    const t = truncateMessage('x'.repeat(2000));
    expect(t.length).toBe(513);
    expect(t.endsWith('…')).toBe(true);
  });
});
