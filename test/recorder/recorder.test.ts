import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { request } from 'undici';
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { requestType } from '../../src/otlp/proto.js';
import { DEFAULT_REDACT, startRecorder, type Recorder, type RecorderOptions } from '../../src/recorder/recorder.js';
import { decodeTemplate } from '../../src/receivers/template-data.js';
import { loadTemplate } from '../../src/receivers/template.js';
import { encode, grpcClient, grpcExport, logsRequest, metricsRequest, spansRequest, span, toJson, tracesRequest } from '../sink/fixtures.js';

const dirs: string[] = [];
let open: Recorder[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'replayd-recorder-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  const closing = open;
  open = [];
  await Promise.all(closing.map((r) => r.finish().catch(() => {})));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function recorder(opts: Partial<RecorderOptions> & { out: string }): Promise<Recorder> {
  const r = await startRecorder({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', durationMs: 0, maxSize: Infinity, redact: DEFAULT_REDACT, signals: ['traces', 'metrics', 'logs'], tool: 'otel-replayd test', ...opts });
  open.push(r);
  return r;
}

function post(r: Recorder, path: string, body: Buffer | string, headers: Record<string, string>) {
  return request(`http://${r.httpAddress}${path}`, { method: 'POST', body, headers });
}

/** Bytes every file in `dir` takes. */
function diskUse(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

describe('startRecorder', () => {
  it('writes every accepted request, gRPC or HTTP, protobuf or JSON, gzip or not, as one request of a template that replays them as frames', async () => {
    const out = tmp();
    const r = await recorder({ out });
    const client = grpcClient(r.grpcAddress!);
    const first = tracesRequest(3, 4);
    expect(await grpcExport(client, 'traces', encode('traces', first))).toBeUndefined();
    client.close();
    const second = spansRequest([[span(), span()]]);
    let res = await post(r, '/v1/traces', gzipSync(toJson('traces', second)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    res = await post(r, '/v1/logs', encode('logs', logsRequest(5)), { 'content-type': 'application/x-protobuf' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const summary = await r.finish('SIGTERM');

    expect(summary).toMatchObject({ stoppedBy: 'SIGTERM', signals: { traces: { requests: 2, events: 14, file: 'traces.pb.gz' }, logs: { requests: 1, events: 5 }, metrics: { requests: 0, file: null } } });
    expect(readdirSync(out).sort()).toEqual(['logs.pb.gz', 'recording.yaml', 'traces.pb.gz']);
    expect(summary.diskBytes).toBe(diskUse(out));
    const meta = parse(readFileSync(join(out, 'recording.yaml'), 'utf8'));
    expect(meta).toMatchObject({ tool: 'otel-replayd test', stopped_by: 'SIGTERM', signals: { traces: { requests: 2, spans: 14 }, logs: { requests: 1, log_records: 5 } } });
    expect(meta.services).toEqual([{ name: 'svc-0', spans: 8 }, { name: 'svc-1', spans: 6 }, { name: 'unknown_service', log_records: 5 }]);
    expect(meta.arrivals_ms.traces).toHaveLength(2);
    expect(meta.arrivals_ms.traces[1]).toBeGreaterThanOrEqual(meta.arrivals_ms.traces[0]);
    expect(Date.parse(meta.end) - Date.parse(meta.start)).toBeGreaterThanOrEqual(meta.arrivals_ms.logs[0]);

    const data = await loadTemplate(join(out, 'traces.pb.gz'), 'traces', { relativeTimes: false });
    expect(data.requests).toEqual([2, 1]);
    const sent = [first, second].flatMap((q: any) => q.resourceSpans.flatMap((rs: any) => rs.scopeSpans[0].spans.map((s: any) => Buffer.from(s.spanId).toString('hex'))));
    const spans = decodeTemplate('traces', data.bytes!).resourceSpans.flatMap((rs: any) => rs.scopeSpans[0].spans);
    expect(spans.map((s: any) => Buffer.from(s.spanId).toString('hex'))).toEqual(sent);
    const compiled = compile([await loadTemplate(join(out, 'traces.pb.gz'), 'traces')], { idRegen: true, timestamps: true, encodings: ['proto'] });
    expect(compiled.frames.map((f) => f.events)).toEqual([12, 2]);
  });

  it('answers signals it does not record as an endpoint without that pipeline would, and records nothing for them', async () => {
    const out = tmp();
    const r = await recorder({ out, signals: ['logs'] });
    const res = await post(r, '/v1/traces', encode('traces', tracesRequest(1, 1)), { 'content-type': 'application/x-protobuf' });
    expect(res.statusCode).toBe(404);
    await res.body.dump();
    const client = grpcClient(r.grpcAddress!);
    expect((await grpcExport(client, 'metrics', encode('metrics', metricsRequest())))?.code).toBe(status.UNIMPLEMENTED);
    client.close();
    const summary = await r.finish();
    expect(summary.refusedRequests).toBe(2);
    expect(readdirSync(out)).toEqual(['recording.yaml']);
  });

  it('stays under max_size on disk (looked at after every request), ends by itself when full, and keeps every request it accepted', async () => {
    const out = tmp();
    const maxSize = 200_000;
    const r = await recorder({ out, maxSize });
    const client = grpcClient(r.grpcAddress!);
    let accepted = 0, refused = 0, peak = 0;
    // Random ids do not compress: about 60 kB per request on disk.
    for (let i = 0; i < 200 && refused < 20; i++) {
      const err = await grpcExport(client, 'traces', encode('traces', tracesRequest(100, 5)));
      if (err) {
        expect(err.code).toBe(status.UNAVAILABLE);
        refused++;
        await new Promise((res) => setTimeout(res, 20));
      } else accepted++;
      peak = Math.max(peak, diskUse(out));
    }
    client.close();
    expect(await Promise.race([r.ended, new Promise((res) => setTimeout(() => res('not ended'), 5000))])).toBe('max_size');
    const summary = await r.finish();
    expect(summary.stoppedBy).toBe('max_size');
    expect(accepted).toBeGreaterThan(0);
    expect(summary.signals.traces!.requests).toBe(accepted);
    expect(diskUse(out)).toBeLessThanOrEqual(maxSize);
    expect(peak).toBeLessThanOrEqual(maxSize);
    const data = await loadTemplate(join(out, 'traces.pb.gz'), 'traces');
    expect(data.requests).toHaveLength(accepted);
  });

  it('refuses a folder that already holds a recording', async () => {
    const out = tmp();
    writeFileSync(join(out, 'traces.pb.gz.partial'), '');
    await expect(recorder({ out })).rejects.toThrow(/already holds a recording \(traces\.pb\.gz\.partial\)/);
  });

  it('turns OTLP/JSON into the same protobuf the template receiver reads', async () => {
    const out = tmp();
    const r = await recorder({ out });
    const req = tracesRequest(1, 3);
    const res = await post(r, '/v1/traces', toJson('traces', req), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await r.finish();
    const data = await loadTemplate(join(out, 'traces.pb.gz'), 'traces', { relativeTimes: false });
    expect(Buffer.from(data.bytes!).equals(encode('traces', req))).toBe(true);
    expect(requestType('traces').decode(data.bytes!)).toBeTruthy();
  });

  it('stops when it cannot write: later requests are refused, the recording ends with write_error, and finishing says why', async () => {
    const out = tmp();
    const r = await recorder({ out: join(out, 'sub') });
    rmSync(join(out, 'sub'), { recursive: true });
    const client = grpcClient(r.grpcAddress!);
    expect(await grpcExport(client, 'traces', encode('traces', tracesRequest(1, 2)))).toBeUndefined();
    // the batch is written within a flush interval (250 ms); the open fails then
    let err;
    for (let i = 0; i < 50 && !err; i++) {
      await new Promise((res) => setTimeout(res, 50));
      err = await grpcExport(client, 'traces', encode('traces', tracesRequest(1, 2)));
    }
    client.close();
    expect(err?.code).toBe(status.UNAVAILABLE);
    expect(err?.details).toMatch(/writing traces\.pb\.gz failed/);
    expect(await r.ended).toBe('write_error');
    await expect(r.finish()).rejects.toThrow(/ENOENT/);
  });
});
