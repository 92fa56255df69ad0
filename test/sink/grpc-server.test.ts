import { afterEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';
import { decodeStatus, encode, grpcClient, grpcExport, logsRequest, METRICS_POINTS, metricsRequest, tracesRequest } from './fixtures.js';

let sink: Sink | undefined;
const clients: { close(): void }[] = [];

async function start(opts: Omit<SinkOptions, 'grpc'> = {}) {
  sink = await startSink({ grpc: '127.0.0.1:0', ...opts });
  const client = grpcClient(sink.grpcAddress!);
  clients.push(client);
  return { sink, client };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sink?.close();
  sink = undefined;
});

describe('gRPC sink', () => {
  it('binds port 0 to a real port and reports it', async () => {
    const { sink } = await start();
    expect(sink.grpcAddress).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(sink.httpAddress).toBeUndefined();
  });

  it('counts requests, events and bytes exactly for all three signals', async () => {
    const { sink, client } = await start();
    const traces = encode('traces', tracesRequest(20, 10));
    const metrics = encode('metrics', metricsRequest());
    const logs = encode('logs', logsRequest(33));
    for (let i = 0; i < 3; i++) expect(await grpcExport(client, 'traces', traces)).toBeUndefined();
    expect(await grpcExport(client, 'metrics', metrics)).toBeUndefined();
    expect(await grpcExport(client, 'logs', logs)).toBeUndefined();
    expect(sink.counts()).toEqual({
      traces: { requests: 3, events: 600, bytes: 3 * traces.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
      metrics: { requests: 1, events: METRICS_POINTS, bytes: metrics.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
      logs: { requests: 1, events: 33, bytes: logs.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 },
    });
  });

  it('accepts gzip-compressed requests (grpc-js decompresses; bytes are the message)', async () => {
    const { sink } = await start();
    const gz = grpcClient(sink.grpcAddress!, { gzip: true });
    clients.push(gz);
    const body = encode('traces', tracesRequest(50, 20));
    expect(await grpcExport(gz, 'traces', body)).toBeUndefined();
    expect(sink.counts().traces).toMatchObject({ requests: 1, events: 1000, bytes: body.length });
  });

  it('accepts a 4 MiB request', async () => {
    const { sink, client } = await start();
    const body = encode('logs', logsRequest(1, { body: { stringValue: 'x'.repeat(4 * 1024 * 1024) } }));
    expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(await grpcExport(client, 'logs', body)).toBeUndefined();
    expect(sink.counts().logs.bytes).toBe(body.length);
  });

  it('answers a malformed body with INVALID_ARGUMENT naming the byte offset, and counts nothing received', async () => {
    const { sink, client } = await start();
    const body = encode('traces', tracesRequest(2, 2));
    const err = await grpcExport(client, 'traces', body.subarray(0, body.length - 3));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/malformed protobuf: .* at byte \d+/);
    expect(sink.counts().traces).toMatchObject({ requests: 0, events: 0, invalidRequests: 1 });
  });

  it('injects failures at the configured rate, with the code, and counts them as faults only', async () => {
    const { sink, client } = await start({ faults: { failRate: 0.3, failCode: '429', seed: 7 } });
    const body = encode('logs', logsRequest(2));
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const err = await grpcExport(client, 'logs', body);
      if (err) {
        expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(35);
    expect(failed).toBeLessThan(85);
    expect(sink.counts().logs).toEqual({ requests: 200 - failed, events: 2 * (200 - failed), bytes: (200 - failed) * body.length, faultedRequests: failed, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 });
  });

  it('sends RetryInfo in grpc-status-details-bin that decodes to the configured delay', async () => {
    const { client } = await start({ faults: { failRate: 1, failCode: 'unavailable', retryAfterMs: 1500 } });
    const err = await grpcExport(client, 'traces', encode('traces', tracesRequest(1, 1)));
    expect(err?.code).toBe(status.UNAVAILABLE);
    const details = err?.metadata.get('grpc-status-details-bin')[0];
    expect(Buffer.isBuffer(details)).toBe(true);
    expect(decodeStatus(details as Buffer)).toMatchObject({ code: status.UNAVAILABLE, retryDelayMs: 1500 });
  });

  it('above --max-rate answers RESOURCE_EXHAUSTED with RetryInfo saying when the events will fit, and counts the request as throttled', async () => {
    // 1000 events/s: the bucket holds 100 ms of them (100 events) and starts full.
    const { sink, client } = await start({ maxRate: 1000 });
    const body = encode('logs', logsRequest(100));
    expect(await grpcExport(client, 'logs', body)).toBeUndefined();
    const err = await grpcExport(client, 'logs', body);
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err?.details).toBe("over the sink's limit of 1000 events/s (--max-rate)");
    const retry = decodeStatus(err!.metadata.get('grpc-status-details-bin')[0] as Buffer).retryDelayMs!;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, retry + 5));
    expect(await grpcExport(client, 'logs', body)).toBeUndefined();
    expect(sink.counts().logs).toMatchObject({ requests: 2, events: 200, throttledRequests: 1, faultedRequests: 0 });
  });

  it('delays every response', async () => {
    const { client } = await start({ faults: { delayMs: 150 } });
    const t0 = performance.now();
    expect(await grpcExport(client, 'logs', encode('logs', logsRequest(1)))).toBeUndefined();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('verifies decoded requests when asked', async () => {
    const { sink, client } = await start({ verify: true });
    const bad = tracesRequest(1, 2);
    ((bad.resourceSpans as { scopeSpans: { spans: { traceId: Uint8Array }[] }[] }[])[0]!.scopeSpans[0]!.spans[0]!).traceId = new Uint8Array(16);
    expect(await grpcExport(client, 'traces', encode('traces', tracesRequest(3, 3)))).toBeUndefined();
    expect(await grpcExport(client, 'traces', encode('traces', bad))).toBeUndefined();
    expect(await sink.verification()).toMatchObject({ checked: { traces: 11 }, problems: { zero_trace_id: 1 }, ok: false });
  });
});
