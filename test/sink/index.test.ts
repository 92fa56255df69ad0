import { createServer } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { startSink, type Sink } from '../../src/sink/index.js';
import { summarize } from '../../src/sink/report.js';
import { emptyCounts } from '../../src/sink/intake.js';
import { encode, grpcClient, grpcExport, logsRequest, tracesRequest } from './fixtures.js';

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('startSink', () => {
  it('serves both transports into one set of counters and reports them', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', verify: true, faults: { seed: 5 } });
    const client = grpcClient(sink.grpcAddress!);
    const traces = encode('traces', tracesRequest(2, 5));
    expect(await grpcExport(client, 'traces', traces)).toBeUndefined();
    client.close();
    const res = await request(`http://${sink.httpAddress}/v1/traces`, { method: 'POST', body: encode('traces', tracesRequest(1, 5)), headers: { 'content-type': 'application/x-protobuf' } });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    await sink.close();
    const report = await sink.report();
    expect(report.signals.traces).toMatchObject({ requests: 2, events: 15, faulted_requests: 0, invalid_requests: 0 });
    expect(report.total).toMatchObject({ requests: 2, events: 15 });
    expect(report.signals.traces.events_per_second).toBeGreaterThan(0);
    expect(report.faults).toMatchObject({ fail_rate: 0, seed: 5 });
    expect(report.verification).toMatchObject({ ok: true, checked: { traces: 15 }, skipped_requests: { traces: 0, metrics: 0, logs: 0 }, pending_parents: 0, policy: { id_window: expect.any(Number), time_window_ms: expect.any(Number) } });
    expect(Date.parse(report.started_at)).toBeLessThanOrEqual(Date.now());
    // After close() the report's duration is frozen.
    expect((await sink.report()).duration_seconds).toBe(report.duration_seconds);
    // Like every other output: no camelCase key anywhere in the document.
    expect(JSON.stringify(report)).not.toMatch(/"[a-z]+[A-Z]\w*":/);
  });

  it('keeps a timeline of the events received per second of arrival, in its report too', async () => {
    const from = Math.floor(Date.now() / 1000);
    sink = await startSink({ http: '127.0.0.1:0' });
    for (const n of [3, 4]) {
      const res = await request(`http://${sink.httpAddress}/v1/logs`, { method: 'POST', body: encode('logs', logsRequest(n)), headers: { 'content-type': 'application/x-protobuf' } });
      await res.body.dump();
    }
    const timeline = sink.timeline();
    expect(timeline.reduce((n, s) => n + s.events, 0)).toBe(7);
    for (const s of timeline) {
      expect(s.second).toBeGreaterThanOrEqual(from);
      expect(s.second).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    }
    expect((await sink.report()).timeline).toEqual(timeline);
  });

  it('releases its ports on close', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0' });
    const ports = [sink.grpcAddress!, sink.httpAddress!].map((a) => Number(a.split(':')[1]));
    await sink.close();
    for (const port of ports) {
      const srv = createServer();
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it('binds IPv6 loopback and formats the address with brackets', async () => {
    sink = await startSink({ http: '[::1]:0' });
    expect(sink.httpAddress).toMatch(/^\[::1\]:\d+$/);
    const res = await request(`http://${sink.httpAddress}/v1/logs`, { method: 'POST', body: encode('logs', logsRequest(2)), headers: { 'content-type': 'application/x-protobuf' } });
    await res.body.dump();
    expect(sink.counts().logs.events).toBe(2);
  });

  it('rejects missing or malformed addresses with a usage error', async () => {
    await expect(startSink({})).rejects.toThrow(UsageError);
    await expect(startSink({ http: 'localhost' })).rejects.toThrow('expected host:port, got "localhost"');
  });

  it('fails to start when the port is taken, naming the setting, without leaving the other transport open', async () => {
    const first = await startSink({ http: '127.0.0.1:0' });
    try {
      await expect(startSink({ grpc: '127.0.0.1:0', http: first.httpAddress! })).rejects.toMatchObject({ code: 'ERR_SINK_LISTEN', message: `--http ${first.httpAddress}: address already in use` });
      await expect(startSink({ grpc: first.httpAddress!, settings: { grpc: 'extensions.sink.grpc', http: 'extensions.sink.http' } }))
        .rejects.toThrow(`extensions.sink.grpc ${first.httpAddress}: address already in use`);
    } finally {
      await first.close();
    }
  });
});

describe('summarize', () => {
  it('computes per-signal and total rates over an interval', () => {
    const before = emptyCounts();
    const after = emptyCounts();
    before.traces.events = 100;
    after.traces = { requests: 3, events: 1100, bytes: 4000, faultedRequests: 1, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 };
    after.logs.events = 500;
    const s = summarize(after, before, 2);
    expect(s.traces).toMatchObject({ events: 1100, eventsPerSecond: 500, bytesPerSecond: 2000 });
    expect(s.total).toMatchObject({ events: 1600, eventsPerSecond: 750, faultedRequests: 1 });
  });
});
