/** Repairs and copies found while loading a traces template (normalize runs SpanChecks). */
import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { normalize } from '../../src/receivers/normalize.js';
import { parseTemplate } from '../../src/receivers/template.js';
import { decodeTemplate } from '../../src/receivers/template-data.js';
import { ABSOLUTE_BASE, encodeTemplate, spanId, traceId, tracesRequest } from '../helpers/templates.js';

const spansOf = (req: any): any[] => req.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
const encode = (req: any): Buffer => Buffer.from(requestType('traces').encode(req).finish());

describe('loading spans that end before they start', () => {
  it('replays them with end = start and warns once with the count and the first span (byte offset for binary files)', () => {
    const req = tracesRequest({ traces: 2, spansPerTrace: 3, absolute: true });
    const spans = spansOf(req);
    spans[1].endTimeUnixNano = String(ABSOLUTE_BASE); // before its start
    delete spans[4].endTimeUnixNano; // no end time at all
    const d = parseTemplate(encode(req), 't.pb', 'traces');
    const out = spansOf(decodeTemplate('traces', d.bytes!));
    expect(out[1].endTimeUnixNano).toBe(out[1].startTimeUnixNano);
    expect(out[4].endTimeUnixNano).toBe(out[4].startTimeUnixNano);
    expect(out[4].startTimeUnixNano).toBeGreaterThan(0);
    // the others keep their exact durations
    expect(out[2].endTimeUnixNano - out[2].startTimeUnixNano).toBe(500_002);
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings![0]).toMatch(/^2 spans ended before they started \(end time before start time, or no end time\): replayed with end = start \(duration 0\); first: span "op-1" at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\] \(byte \d+\)$/);
  });

  it('names no byte offset for OTLP/JSON, whose bytes are not the file\'s', () => {
    const req = tracesRequest({ traces: 1, spansPerTrace: 2 });
    spansOf(req)[1].endTimeUnixNano = 1;
    const d = parseTemplate(encodeTemplate('traces', req, 'json'), 't.json', 'traces');
    expect(d.warnings).toEqual([expect.stringMatching(/^1 span ended before it started .*first: span "op-1" at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]$/)]);
  });

  it('leaves sound spans and absent times at the trace start alone, without a warning', () => {
    const d = normalize('traces', encode(tracesRequest({ traces: 3, spansPerTrace: 4 })), 'mem');
    expect(d.warnings).toBeUndefined();
    const root = requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: traceId(0), spanId: spanId(0, 0), name: 'r' }] }] }] });
    expect(normalize('traces', encode(root), 'mem').warnings).toBeUndefined();
  });
});

describe('loading a template whose spans repeat a span id of their trace', () => {
  it('warns with the count and rebases each copy of a trace on its own start', () => {
    const first = tracesRequest({ traces: 2, spansPerTrace: 3, absolute: true });
    const again = tracesRequest({ traces: 2, spansPerTrace: 3, absolute: true });
    // The second recording was made an hour later.
    for (const s of spansOf(again)) {
      s.startTimeUnixNano = String(BigInt(s.startTimeUnixNano.toString()) + 3_600_000_000_000n);
      s.endTimeUnixNano = String(BigInt(s.endTimeUnixNano.toString()) + 3_600_000_000_000n);
      for (const e of s.events) e.timeUnixNano = String(BigInt(e.timeUnixNano.toString()) + 3_600_000_000_000n);
    }
    const d = parseTemplate(Buffer.concat([encode(first), encode(again)]), 'twice.pb', 'traces');
    expect(d.warnings).toEqual([expect.stringMatching(/^6 spans repeat a span id already used in their trace \(e\.g\. two recordings concatenated\): .*first: span "op-0" at resourceSpans\[1\]\.scopeSpans\[0\]\.spans\[0\] \(byte \d+\)$/)]);
    const starts = spansOf(decodeTemplate('traces', d.bytes!)).map((s) => s.startTimeUnixNano);
    expect(starts.slice(6)).toEqual(starts.slice(0, 6));
    expect(starts.slice(0, 3)).toEqual([0, 1007, 2007]);
  });
});
