import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rewriteAttributes } from '../../src/compile/attribute-rewrite.js';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import { requestType } from '../../src/otlp/proto.js';
import type { Encoding, Signal } from '../../src/otlp/signals.js';
import { recordPrefix } from '../../src/otlp/wire/records.js';
import { loadTemplate, type LoadOptions } from '../../src/receivers/template.js';
import { templateChunks, type StreamedTemplate } from '../../src/receivers/template-chunks.js';
import type { StamperOptions } from '../../src/stamp/stamper.js';
import { openFrameCache } from '../../src/worker/frame-cache.js';
import { type FrameSource, MemoryFrames } from '../../src/worker/frame-source.js';
import { SendBufferPool } from '../../src/worker/send-buffer-pool.js';
import { StreamedFrames } from '../../src/worker/streamed-frames.js';
import { memoryLogger } from '../exporters/fake-endpoint.js';
import { CountingPool } from '../helpers/counting-pool.js';
import { DEMO } from '../helpers/daemon.js';
import { tempFiles } from '../helpers/files.js';
import { tracesRequest } from '../helpers/templates.js';

const files = tempFiles('otel-replayd-streamed-');
const STAMP: StamperOptions = { seed: [0x12345678, 0x9abcdef0], worker: 1, backdateMs: 5000, alignEnd: false, now: () => 1_700_000_000_123 };
const ALL: CompileOptions = { idRegen: true, timestamps: true, maxItems: 300, encodings: ['proto', 'json'] };

const open: FrameSource[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

function streamedTemplate(file: string, signal: Signal, load: LoadOptions, chunkBytes: number, cacheDir: string): StreamedTemplate {
  const st = statSync(file);
  return { file, size: st.size, mtimeMs: st.mtimeMs, cacheDir, chunkBytes, chunks: () => templateChunks(file, signal, load, chunkBytes) };
}

async function streamed(file: string, opts: CompileOptions, load: LoadOptions, chunkBytes: number, log = memoryLogger().log): Promise<StreamedFrames> {
  const cacheDir = join(files.dir, `cache-${Math.random().toString(36).slice(2)}`);
  const frameFile = await openFrameCache({
    template: streamedTemplate(file, 'traces', load, chunkBytes, cacheDir), signal: 'traces', options: opts, load, rewriteKey: '', log, speaks: true,
  });
  const s = new StreamedFrames(frameFile, STAMP);
  open.push(s);
  return s;
}

/** Every request of `cycles` cycles in `enc`, as the send loop makes them (id_regen and jitter hooks on). */
async function sendAll(frames: FrameSource, enc: Encoding, cycles: number, jitter = true, ids = true): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const pool = new SendBufferPool(frames.maxFrameBytes);
  for (let c = 0; c < cycles; c++) {
    const controls = frames.beginCycle(c);
    if (ids) controls.newIds();
    if (jitter) controls.drawJitter(20);
    for (let i = 0; i < frames.count; i++) {
      await frames.ready(i);
      const request = frames.stamp(i, enc, pool);
      out.push(Buffer.from(request.bytes));
      request.release();
    }
  }
  return out;
}


/** Encoded requests of `perRequest` traces (4 spans) each, every trace id distinct, recorded times. */
function requests(n: number, perRequest: number): Buffer[] {
  const all = tracesRequest({ traces: n * perRequest, spansPerTrace: 4, absolute: true });
  const spans = all.resourceSpans[0].scopeSpans[0].spans;
  const type = requestType('traces');
  return Array.from({ length: n }, (_, r) => {
    const mine = spans.slice(r * perRequest * 4, (r + 1) * perRequest * 4);
    return Buffer.from(type.encode(type.fromObject({ resourceSpans: [{ resource: all.resourceSpans[0].resource, scopeSpans: [{ spans: mine }] }] })).finish());
  });
}

/** Length-prefixed requests, as `record` writes them. */
function recording(n: number, perRequest: number): string {
  return files.file('recording.pb', Buffer.concat(requests(n, perRequest).flatMap((b) => [recordPrefix(b.length), b])));
}

describe('StreamedFrames', () => {
  it('stamps exactly the requests the in-memory compile stamps, in both encodings, for a template in one chunk', async () => {
    const load = { relativeTimes: true };
    const memory = new MemoryFrames(compile([await loadTemplate(DEMO.traces, 'traces', load)], ALL), STAMP);
    const stream = await streamed(DEMO.traces, ALL, load, 64 * 1024 * 1024);
    expect(stream.count).toBe(memory.count);
    expect(stream.summary('proto')).toEqual(memory.summary('proto'));
    for (const enc of ['proto', 'json'] as const) {
      const want = await sendAll(memory, enc, 3);
      const got = await sendAll(stream, enc, 3);
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) expect(got[k]!.equals(want[k]!), `${enc} request ${k}`).toBe(true);
    }
  });

  it('stamps the same requests as in memory for a recording cut into many chunks (a request per frame, new ids)', async () => {
    const file = recording(40, 3);
    const load = { relativeTimes: false };
    const opts: CompileOptions = { idRegen: true, timestamps: false, encodings: ['proto'] };
    const memory = new MemoryFrames(compile([await loadTemplate(file, 'traces', load)], opts), STAMP);
    // About 3 requests per chunk: 14 chunks, so the loop crosses chunk tables and wraps around twice.
    const stream = await streamed(file, opts, load, 3 * (statSync(file).size / 40));
    expect(stream.count).toBe(40);
    const want = await sendAll(memory, 'proto', 2, false);
    const got = await sendAll(stream, 'proto', 2, false);
    expect(got.map((b) => b.toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
  });

  it('writes the cycle\'s digit values (cardinality) into every chunk, as in memory', async () => {
    const file = recording(12, 2);
    const load = { relativeTimes: false };
    const rewrites = [(b: Uint8Array) => rewriteAttributes('traces', b, 'resource', [{ key: 'service.name', action: 'suffix', value: '000' }])];
    const opts: CompileOptions = { idRegen: true, timestamps: false, encodings: ['proto', 'json'], rewrites, digits: [{ scope: 'resource', key: 'service.name', width: 3 }] };
    const memory = new MemoryFrames(compile([await loadTemplate(file, 'traces', load)], opts), STAMP);
    const stream = await streamed(file, opts, load, 4 * (statSync(file).size / 12));
    const run = async (frames: FrameSource, enc: Encoding): Promise<string[]> => {
      const out: string[] = [];
      const pool = new SendBufferPool(frames.maxFrameBytes);
      for (let c = 0; c < 3; c++) {
        const controls = frames.beginCycle(c);
        controls.newIds();
        controls.setDigits(0, 100 + c);
        for (let i = 0; i < frames.count; i++) {
          await frames.ready(i);
          const request = frames.stamp(i, enc, pool);
          out.push(request.bytes.toString('hex'));
          request.release();
        }
      }
      return out;
    };
    for (const enc of ['proto', 'json'] as const) expect(await run(stream, enc)).toEqual(await run(memory, enc));
    const last = (await run(stream, 'json')).at(-1)!;
    expect(Buffer.from(last, 'hex').toString()).toContain('svc-102');
    expect(() => stream.beginCycle(3).setDigits(0, 1000)).toThrow(/does not fit 3 digits/);
  });

  it('applies template rewrites (attributes, resource) to every chunk as to the whole template', async () => {
    const file = recording(12, 2);
    const load = { relativeTimes: false };
    const rewrites = [(b: Uint8Array) => rewriteAttributes('traces', b, 'resource', [{ key: 'deployment.environment', action: 'upsert', value: 'load-test' }])];
    const opts: CompileOptions = { idRegen: false, timestamps: false, encodings: ['proto'], rewrites };
    const memory = new MemoryFrames(compile([await loadTemplate(file, 'traces', load)], opts), STAMP);
    const stream = await streamed(file, opts, load, 4 * (statSync(file).size / 12));
    const got = await sendAll(stream, 'proto', 1, false, false);
    expect(got.map((b) => b.toString('hex'))).toEqual((await sendAll(memory, 'proto', 1, false, false)).map((b) => b.toString('hex')));
    const resource = (requestType('traces').decode(got[11]!) as any).resourceSpans[0].resource;
    expect(resource.attributes.map((a: any) => a.key)).toContain('deployment.environment');
  });

  it('stamps a frame where it was read, with no send buffer, and keeps it from reuse until its request is released', async () => {
    const file = recording(40, 3);
    const load = { relativeTimes: false };
    const opts: CompileOptions = { idRegen: true, timestamps: false, encodings: ['proto'] };
    const memory = new MemoryFrames(compile([await loadTemplate(file, 'traces', load)], opts), STAMP);
    const stream = await streamed(file, opts, load, 3 * (statSync(file).size / 40));
    const pool = new CountingPool(stream.maxFrameBytes);
    stream.beginCycle(0).newIds();
    await stream.ready(0);
    const held = stream.stamp(0, 'proto', pool);
    const heldCopy = Buffer.from(held.bytes);
    // The rest of two cycles: frame 0 leaves the read-ahead window and 40 more frames are read into pooled buffers.
    const later: Buffer[] = [];
    for (let c = 0; c < 2; c++) {
      if (c > 0) stream.beginCycle(c).newIds();
      for (let i = c === 0 ? 1 : 0; i < stream.count; i++) {
        await stream.ready(i);
        const request = stream.stamp(i, 'proto', pool);
        later.push(Buffer.from(request.bytes));
        request.release();
      }
    }
    expect(pool.taken).toBe(0);
    expect(held.bytes.equals(heldCopy)).toBe(true);
    held.release();
    const want = await sendAll(memory, 'proto', 2, false);
    expect([heldCopy, ...later].map((b) => b.toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
  });

  it('stamps a frame whose earlier request is still in flight into a send buffer, leaving the bytes in flight as they were sent', async () => {
    // One request: the frame is never out of the read-ahead window.
    const file = recording(1, 3);
    const load = { relativeTimes: false };
    const opts: CompileOptions = { idRegen: true, timestamps: false, encodings: ['proto'] };
    const memory = new MemoryFrames(compile([await loadTemplate(file, 'traces', load)], opts), STAMP);
    const stream = await streamed(file, opts, load, 64 * 1024 * 1024);
    expect(stream.count).toBe(1);
    const pool = new CountingPool(stream.maxFrameBytes);
    stream.beginCycle(0).newIds();
    await stream.ready(0);
    const first = stream.stamp(0, 'proto', pool);
    const firstCopy = Buffer.from(first.bytes);
    stream.beginCycle(1).newIds();
    await stream.ready(0);
    const second = stream.stamp(0, 'proto', pool);
    expect(pool.taken).toBe(1);
    expect(first.bytes.equals(firstCopy)).toBe(true);
    expect(second.bytes.equals(firstCopy)).toBe(false);
    expect([firstCopy, second.bytes].map((b) => b.toString('hex'))).toEqual((await sendAll(memory, 'proto', 2, false)).map((b) => b.toString('hex')));
    first.release();
    second.release();
    // Released: the next cycle is stamped in place again.
    stream.beginCycle(2).newIds();
    await stream.ready(0);
    stream.stamp(0, 'proto', pool).release();
    expect(pool.taken).toBe(1);
  });

  it('replays a bare request cut into chunks between resources: every span once per cycle, new ids each cycle', async () => {
    // Concatenated requests are one request with all their resources: 50 resources of 40 traces.
    const file = files.file('bare.pb', Buffer.concat(requests(50, 40)));
    const { log, lines } = memoryLogger();
    const stream = await streamed(file, ALL, { relativeTimes: true }, 64 * 1024, log);
    expect(JSON.parse(lines.find((l) => l.includes('compiled into the frame cache'))!).chunks).toBeGreaterThan(5);
    const reqs = (await sendAll(stream, 'proto', 2)).map((b) => requestType('traces').decode(b) as any);
    const spans = reqs.flatMap((r) => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
    expect(spans.length).toBe(2 * 50 * 40 * 4);
    expect(new Set(spans.map((s: any) => Buffer.from(s.spanId).toString('hex'))).size).toBe(2 * 50 * 40 * 4);
    expect(new Set(spans.map((s: any) => Buffer.from(s.traceId).toString('hex'))).size).toBe(2 * 50 * 40);
  });
});
