import { afterEach, describe, expect, it } from 'vitest';
import { OtlpGrpcExporter } from '../../src/exporters/otlp-grpc.js';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';
import { encode, tracesRequest } from '../sink/fixtures.js';
import { memoryLogger, testExporterConfig } from './fake-endpoint.js';

/** The real exporter against the real sink: both ends of the bench's gRPC path. */

let sink: Sink | undefined;
let exporter: OtlpGrpcExporter | undefined;

afterEach(async () => {
  await exporter?.close();
  await sink?.close();
  exporter = undefined;
  sink = undefined;
});

async function pair(sinkOpts: Omit<SinkOptions, 'grpc'>, cfg: Partial<Parameters<typeof testExporterConfig>[0]> = {}) {
  sink = await startSink({ grpc: '127.0.0.1:0', ...sinkOpts });
  exporter = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: sink.grpcAddress!, timeoutMs: 20_000, ...cfg }), memoryLogger().log);
  return { sink, exporter };
}

describe('OtlpGrpcExporter → gRPC sink', () => {
  // ~3 MiB: the bench's batch_splitter size, far beyond HTTP/2's default 64 KiB window.
  const big = encode('traces', tracesRequest(1000, 30));

  it('delivers multi-MiB requests with several in flight on one connection, counted exactly', async () => {
    expect(big.length).toBeGreaterThan(2.5 * 1024 * 1024);
    const { sink, exporter } = await pair({});
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => exporter.export('traces', big)));
    expect(outcomes.every((o) => o.status === 'sent' && o.retries === 0)).toBe(true);
    expect(sink.counts().traces).toEqual({ requests: 8, events: 8 * 30_000, bytes: 8 * big.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 });
  });

  it('delivers gzip-compressed requests; the sink counts the decompressed bytes', async () => {
    const { sink, exporter } = await pair({}, { compression: 'gzip' });
    expect(await exporter.export('traces', big)).toMatchObject({ status: 'sent' });
    expect(sink.counts().traces).toMatchObject({ requests: 1, events: 30_000, bytes: big.length });
  });

  it('retries injected UNAVAILABLE answers until each request is accepted once', async () => {
    const body = encode('traces', tracesRequest(3, 4));
    const { sink, exporter } = await pair({ faults: { failRate: 0.5, failCode: 'unavailable', retryAfterMs: 10, seed: 3 } });
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(await exporter.export('traces', body));
    const retries = outcomes.reduce((n, o) => n + o.retries, 0);
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    expect(retries).toBeGreaterThan(0);
    expect(sink.counts().traces).toEqual({ requests: 20, events: 240, bytes: 20 * body.length, faultedRequests: retries, invalidRequests: 0, lateRequests: 0, throttledRequests: 0 });
  });
});
