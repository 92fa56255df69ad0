import { describe, expect, it } from 'vitest';
import { parseJsonResponse, parseProtoResponse, ThrottledWarn, truncateMessage } from '../../src/exporters/partial-success.js';
import { responseType } from '../../src/otlp/proto.js';
import { SIGNALS, SIGNAL_NAMES } from '../../src/otlp/signals.js';
import { memoryLogger } from './fake-endpoint.js';

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

  it('a malformed body is reported, not thrown', () => {
    const out = parseProtoResponse(new Uint8Array([0x0a, 0x05, 0x08]));
    expect(out.rejected).toBe(0);
    expect(out.message).toMatch(/unreadable response body: .* at byte 1/);
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

  it('empty and {} bodies reject nothing; bad JSON is reported', () => {
    expect(parseJsonResponse('traces', '')).toEqual({ rejected: 0 });
    expect(parseJsonResponse('traces', '{}')).toEqual({ rejected: 0 });
    expect(parseJsonResponse('traces', '<html>')).toEqual({ rejected: 0, message: 'unreadable JSON response body: <html>' });
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

describe('ThrottledWarn', () => {
  it('logs once per interval and counts what it suppressed', () => {
    const { log, lines } = memoryLogger();
    const w = new ThrottledWarn(log, 60_000);
    for (let i = 0; i < 5; i++) w.warn({ n: i }, 'rejected');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ n: 0, suppressed: 0, msg: 'rejected', level: 40 });
  });

  it('logs again after the interval with the suppressed count', async () => {
    const { log, lines } = memoryLogger();
    const w = new ThrottledWarn(log, 30);
    w.warn({}, 'a');
    w.warn({}, 'a');
    w.warn({}, 'a');
    await new Promise((r) => setTimeout(r, 40));
    w.warn({}, 'a');
    expect(lines.map((l) => JSON.parse(l).suppressed)).toEqual([0, 2]);
  });
});
