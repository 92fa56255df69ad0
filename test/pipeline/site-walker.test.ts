import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { SITE_SPAN_ID, SITE_TIME, SITE_TRACE_ID, walkSites } from '../../src/pipeline/site-walker.js';
import { id } from './fixtures.js';

describe('walkSites', () => {
  it('finds id and time fields by structure, ignoring look-alike bytes in attributes', () => {
    // an attribute whose bytes spell a Span trace_id tag (0x0a 0x10) followed by 16 bytes
    const fake = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.alloc(16, 7), Buffer.from([0x39]), Buffer.alloc(8, 1)]);
    const req = requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{
      traceId: id(16, 1, 0), spanId: id(8, 1, 0), startTimeUnixNano: 5, endTimeUnixNano: 6, name: 'n',
      attributes: [{ key: 'k', value: { bytesValue: fake } }], events: [{ timeUnixNano: 7 }], links: [{ traceId: id(16, 1, 2), spanId: id(8, 1, 2) }],
    }] }] }] });
    const bytes = requestType('traces').encode(req).finish();
    const sites: [number, number, number][] = [];
    walkSites('traces', bytes, (k, at, len) => sites.push([k, at, len]));
    expect(sites.map((s) => s[0])).toEqual([SITE_TRACE_ID, SITE_SPAN_ID, SITE_TIME, SITE_TIME, SITE_TIME, SITE_TRACE_ID, SITE_SPAN_ID]);
    const times = sites.filter((s) => s[0] === SITE_TIME).map((s) => Buffer.from(bytes).readUInt32LE(s[1]));
    expect(times.sort()).toEqual([5, 6, 7]);
    expect(Buffer.from(bytes).subarray(sites[5]![1], sites[5]![1] + 16)).toEqual(Buffer.from(id(16, 1, 2)));
  });

  it('reports malformed bytes as WireError with an offset', () => {
    const bytes = Uint8Array.from([0x0a, 0x05, 0x12, 0x10, 0x00]);
    expect(() => walkSites('logs', bytes, () => {})).toThrow(WireError);
  });
});
