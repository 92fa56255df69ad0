import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpGrpcExporter } from '../../src/exporters/otlp-grpc.js';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';
import { encode, tracesRequest } from '../sink/fixtures.js';
import { memoryLogger, testExporterConfig } from './fake-endpoint.js';

/** The real exporter against the real sink: both ends of the bench's gRPC path. */

let sink: Sink | undefined;
let exporter: OtlpGrpcExporter | undefined;

let forwarder: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  await exporter?.close();
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((r) => (forwarder ? forwarder.close(() => r()) : r()));
  await sink?.close();
  exporter = undefined;
  sink = undefined;
  forwarder = undefined;
});

/** A TCP forwarder to `target` on 127.0.0.1 that counts the connections it accepts. */
async function countingForwarder(target: string): Promise<{ address: string; connections: () => number }> {
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  let accepted = 0;
  forwarder = createServer((client) => {
    accepted++;
    const upstream = createConnection(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => forwarder!.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(forwarder.address() as AddressInfo).port}`, connections: () => accepted };
}

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

  it('spreads requests over `connections` HTTP/2 connections, each request counted once', async () => {
    sink = await startSink({ grpc: '127.0.0.1:0' });
    const via = await countingForwarder(sink.grpcAddress!);
    exporter = new OtlpGrpcExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: via.address, timeoutMs: 20_000, connections: 4, maxInFlight: 8 }), memoryLogger().log);
    const small = encode('traces', tracesRequest(5, 4));
    // Two rounds of 8 in flight: the least busy connection takes each, so all four carry requests.
    for (let round = 0; round < 2; round++) {
      const bodies = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? big : small));
      const outcomes = await Promise.all(bodies.map((b) => exporter!.export('traces', b)));
      expect(outcomes.every((o) => o.status === 'sent' && o.retries === 0)).toBe(true);
    }
    expect(via.connections()).toBe(4);
    expect(sink.counts().traces).toEqual({
      requests: 16, events: 8 * 30_000 + 8 * 20, bytes: 8 * big.length + 8 * small.length, faultedRequests: 0, invalidRequests: 0, lateRequests: 0, throttledRequests: 0,
    });
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
