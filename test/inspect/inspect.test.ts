import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/files.js';
import { inspectFile } from '../../src/inspect/inspect.js';
import { requestType } from '../../src/otlp/proto.js';
import { recordPrefix } from '../../src/otlp/wire/records.js';
import { encode, metricsRequest, span, spansRequest, toJson, tracesRequest } from '../sink/fixtures.js';

const { dir, file } = tempFiles('replayd-inspect-');
const records = (parts: Uint8Array[]) => Buffer.concat(parts.flatMap((r) => [recordPrefix(r.length), r]));

describe('inspectFile', () => {
  it('reports the same figures for a request as .pb, length-prefixed gzip records, OTLP/JSON and JSON lines', async () => {
    const a = tracesRequest(3, 4), b = tracesRequest(2, 5);
    const files = {
      proto: file('x.pb', Buffer.concat([encode('traces', a), encode('traces', b)])),
      records: file('x.pb.gz', gzipSync(records([encode('traces', a), encode('traces', b)]))),
      json: file('x.json', JSON.stringify(JSON.parse(toJson('traces', { resourceSpans: [...(a as any).resourceSpans, ...(b as any).resourceSpans] })), null, 2)),
      jsonl: file('x.jsonl', `${toJson('traces', a)}\n${toJson('traces', b)}\n`),
    };
    for (const [format, f] of Object.entries(files)) {
      const r = await inspectFile(f, 'traces');
      expect(r, format).toMatchObject({
        format, signal: 'traces', resources: 4, events: 22, requests: format === 'records' || format === 'jsonl' ? 2 : 1,
        services: [{ name: 'svc-0', events: 11 }, { name: 'svc-1', events: 11 }],
        figures: { traces: 5, rootSpans: 5, spansPerTrace: { p50: 4, p99: 5, max: 5 } },
        problems: { orphanParents: 0, duplicateSpanIds: 0, endBeforeStart: 0, badIds: 0 },
      });
      expect(r.time!.relative).toBe(false);
    }
  });

  it('finds orphan parents, duplicate span ids, spans ending before they start, and bad ids', async () => {
    const traceId = Buffer.alloc(16, 7);
    const root = span({ traceId, spanId: Buffer.alloc(8, 1), start: 2_000_000_000_000_000_000n, end: 2_000_000_000_005_000_000n });
    const req = spansRequest([[
      root,
      span({ traceId, spanId: Buffer.alloc(8, 2), parentSpanId: Buffer.alloc(8, 1) }),
      span({ traceId, spanId: Buffer.alloc(8, 3), parentSpanId: Buffer.alloc(8, 9) }), // orphan
      span({ traceId, spanId: Buffer.alloc(8, 2), parentSpanId: Buffer.alloc(8, 1) }), // duplicate
      span({ traceId, spanId: Buffer.alloc(8, 4), start: 2_000_000_000_005_000_000n, end: 2_000_000_000_000_000_000n }), // end < start
      span({ traceId: Buffer.alloc(16, 0), spanId: Buffer.alloc(8, 5) }), // zero trace id
    ]]);
    const r = await inspectFile(file('bad.pb', encode('traces', req)), 'traces');
    expect(r.problems).toEqual({ orphanParents: 1, duplicateSpanIds: 1, endBeforeStart: 1, badIds: 1 });
    expect(r.figures).toMatchObject({ traces: 1, rootSpans: 2 });
  });

  it('walks a file far larger than its read chunks, resources straddling chunk ends', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 150; i++) parts.push(encode('traces', tracesRequest(100, 3)));
    const big = Buffer.concat(parts);
    expect(big.length).toBeGreaterThan(3 * 1024 * 1024);
    const r = await inspectFile(file('big-traces.pb', big));
    expect(r).toMatchObject({ signal: 'traces', events: 45_000, resources: 300, figures: { traces: 15_000 }, bytes: { file: big.length, uncompressed: big.length } });
  });

  it('counts metric names and series (a name, a resource and a set of point attributes)', async () => {
    const req = metricsRequest() as any;
    req.resourceMetrics.push({ ...(metricsRequest() as any).resourceMetrics[0], resource: { attributes: [{ key: 'service.name', value: { stringValue: 'b' } }] } });
    req.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1].attributes = [{ key: 'k', value: { stringValue: 'v' } }];
    req.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[2].timeUnixNano = '1';
    const r = await inspectFile(file('metrics.pb', encode('metrics', req)));
    expect(r.signal).toBe('metrics');
    expect(r.events).toBe(18);
    const f = r.figures as any;
    expect(f.metricNames).toBe(5);
    // g: 2 series in the first resource (one with attributes), 1 in the second; every other metric: 1 per resource
    expect(f.metrics.find((m: any) => m.name === 'g')).toEqual({ name: 'g', kind: 'gauge', points: 4, series: 3 });
    expect(f.series).toBe(3 + 4 * 2);
    expect(r.problems).toEqual({ timeBeforeStart: 1 });
  });

  it('names what it cannot read', async () => {
    await expect(inspectFile(join(dir, 'nope.pb'))).rejects.toThrow(/nope\.pb: no such file/);
    await expect(inspectFile(file('cut.pb.gz', gzipSync(records([encode('traces', tracesRequest(1, 1))])).subarray(0, 20)))).rejects.toThrow(/bad gzip data|unexpected end/);
    await expect(inspectFile(file('short.pb', Buffer.concat([recordPrefix(100), Buffer.alloc(5)])))).rejects.toThrow(/record of 100 bytes runs past the end/);
    expect(requestType('traces')).toBeTruthy();
  });
});
