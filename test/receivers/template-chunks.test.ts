import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { recordPrefix } from '../../src/otlp/wire/records.js';
import { templateChunks } from '../../src/receivers/template-chunks.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { tempFiles } from '../helpers/files.js';
import { encodeTemplate, metricsRequest, toOtlpJson, tracesRequest } from '../helpers/templates.js';

const files = tempFiles('otel-replayd-chunks-');
const LOAD = { relativeTimes: true };

/** `n` encoded requests of 5 traces (3 spans) each, trace ids distinct across them. */
function requests(n: number): Buffer[] {
  const all = tracesRequest({ traces: n * 5, spansPerTrace: 3, absolute: true });
  const spans = all.resourceSpans[0].scopeSpans[0].spans;
  const type = requestType('traces');
  return Array.from({ length: n }, (_, r) =>
    Buffer.from(type.encode(type.fromObject({ resourceSpans: [{ resource: all.resourceSpans[0].resource, scopeSpans: [{ spans: spans.slice(r * 15, (r + 1) * 15) }] }] })).finish()));
}

async function chunksOf(file: string, chunkBytes: number, signal: 'traces' | 'metrics' = 'traces'): Promise<TemplateData[]> {
  const out: TemplateData[] = [];
  // A chunk's bytes are reused for the next chunk: keep a copy.
  for await (const c of templateChunks(file, signal, LOAD, chunkBytes)) out.push({ ...c, bytes: Buffer.from(c.bytes!) });
  return out;
}

const spanCount = (d: TemplateData): number => (requestType('traces').decode(d.bytes!) as any).resourceSpans.reduce((n: number, rs: any) => n + rs.scopeSpans[0].spans.length, 0);
const resourceCount = (d: TemplateData): number => (requestType('traces').decode(d.bytes!) as any).resourceSpans.length;

describe('templateChunks', () => {
  it('cuts a bare request between resources into chunks of about chunk bytes, every span once', async () => {
    const reqs = requests(20);
    const file = files.file('bare.pb', Buffer.concat(reqs));
    const chunks = await chunksOf(file, reqs[0]!.length * 4);
    expect(chunks).toHaveLength(5);
    expect(chunks.map(resourceCount)).toEqual([4, 4, 4, 4, 4]);
    expect(chunks.reduce((n, c) => n + spanCount(c), 0)).toBe(20 * 15);
    expect(chunks.every((c) => c.requests === undefined)).toBe(true);
    expect(chunks[0]!.source).toBe(file);
    expect(chunks[1]!.source).toBe(`${file} (stream chunk 1)`);
  });

  it('keeps recorded requests whole and says where each ends, a request larger than a chunk in a chunk of its own', async () => {
    const reqs = requests(9);
    const big = Buffer.concat(requests(3)); // one recorded request of 3 resources
    const records = [...reqs.slice(0, 4), big, ...reqs.slice(4)];
    const file = files.file('recording.pb', gzipSync(Buffer.concat(records.flatMap((b) => [recordPrefix(b.length), b]))));
    const chunks = await chunksOf(file, reqs[0]!.length * 2 + 10);
    expect(chunks.map((c) => c.requests ?? [resourceCount(c)])).toEqual([[1, 1], [1, 1], [3], [1, 1], [1, 1], [1]]);
    expect(chunks.reduce((n, c) => n + spanCount(c), 0)).toBe(12 * 15);
  });

  it('reads JSON lines a line at a time, as records', async () => {
    const lines = requests(6).map((b) => JSON.stringify(toOtlpJson('traces', requestType('traces').decode(b)))).join('\n');
    const chunks = await chunksOf(files.file('t.jsonl', `${lines}\n`), 1);
    expect(chunks).toHaveLength(6);
    expect(chunks.reduce((n, c) => n + spanCount(c), 0)).toBe(6 * 15);
  });

  it('refuses an empty file and a file of another signal, as loading does', async () => {
    await expect(chunksOf(files.file('empty.pb', Buffer.alloc(0)), 1024)).rejects.toMatchObject({ code: 'ERR_TEMPLATE_EMPTY' });
    const metrics = files.file('m.pb', encodeTemplate('metrics', metricsRequest({ points: 3 })));
    await expect(chunksOf(metrics, 1024)).rejects.toMatchObject({ code: 'ERR_TEMPLATE_WRONG_SIGNAL' });
  });
});
