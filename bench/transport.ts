/**
 * Raw transport ceiling: the same request bytes sent over and over (no stamping) with
 * N requests in flight, through the real exporters. Tells how much of a pipeline's
 * throughput the transport alone leaves.
 *
 *   node dist/bench/transport.js <grpc|http> <endpoint> [sizeMiB=1] [inFlight=8] [seconds=5] [gzip]
 */
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type { ExporterConfig } from '../src/config/types.js';
import { createExporter } from '../src/exporters/index.js';
import type { Logger } from '../src/log.js';
import { requestType } from '../src/otlp/proto.js';
import type { Signal } from '../src/otlp/signals.js';

export interface TransportBenchOptions {
  type: 'otlp_grpc' | 'otlp_http';
  endpoint: string;
  body: Uint8Array;
  inFlight: number;
  durationMs: number;
  signal?: Signal;
  compression?: 'none' | 'gzip';
  log?: Logger;
}

export interface TransportBenchResult {
  type: string;
  requestBytes: number;
  inFlight: number;
  requests: number;
  failed: number;
  seconds: number;
  requestsPerSec: number;
  /** Uncompressed request bytes per second, in MB (1e6). */
  mbPerSec: number;
  /** Client CPU (user + system) per wall second: near 1 means the exporter's thread is the bottleneck. */
  clientCpu: number;
  firstFailure?: string;
}

export async function measureTransport(opts: TransportBenchOptions): Promise<TransportBenchResult> {
  const cfg: ExporterConfig = {
    type: opts.type,
    id: `${opts.type}/bench`,
    endpoint: opts.endpoint,
    signalEndpoints: {},
    encoding: 'proto',
    tls: { insecure: true, insecureSkipVerify: false },
    headers: {},
    compression: opts.compression ?? 'none',
    timeoutMs: 10_000,
    maxInFlight: opts.inFlight,
    retryOnFailure: { enabled: false, initialIntervalMs: 5000, maxIntervalMs: 30_000, maxElapsedTimeMs: 300_000, multiplier: 1.5, randomizationFactor: 0.5 },
  };
  const exporter = createExporter(cfg, opts.log ?? pino({ level: 'warn' }));
  const signal = opts.signal ?? 'traces';
  let requests = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  // Warm the connection up before the clock starts.
  await exporter.export(signal, opts.body);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const until = started + opts.durationMs;
  const lane = async () => {
    while (performance.now() < until) {
      const out = await exporter.export(signal, opts.body);
      if (out.status === 'sent') requests++;
      else {
        failed++;
        firstFailure ??= `${out.code}: ${out.message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await exporter.close();
  return {
    type: opts.type,
    requestBytes: opts.body.byteLength,
    inFlight: opts.inFlight,
    requests,
    failed,
    seconds,
    requestsPerSec: requests / seconds,
    mbPerSec: (requests * opts.body.byteLength) / seconds / 1e6,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    firstFailure,
  };
}

/** A valid ExportTraceServiceRequest of about `bytes` bytes (spans with a 1 KiB attribute each), so a counting sink accepts it. */
export function traceRequestOfSize(bytes: number): Uint8Array {
  const type = requestType('traces');
  const pad = 'x'.repeat(1024);
  const spans = Array.from({ length: Math.max(1, Math.round(bytes / 1100)) }, (_, i) => ({
    traceId: Buffer.alloc(16, (i % 250) + 1),
    spanId: Buffer.alloc(8, (i % 250) + 1),
    name: 'GET /api/cart',
    startTimeUnixNano: 1,
    endTimeUnixNano: 2,
    attributes: [{ key: 'pad', value: { stringValue: pad } }],
  }));
  return type.encode(type.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish();
}

async function main(argv: string[]): Promise<void> {
  const [kind, endpoint, size = '1', inFlight = '8', seconds = '5', compression] = argv;
  if ((kind !== 'grpc' && kind !== 'http') || !endpoint) {
    console.error('usage: transport.js <grpc|http> <endpoint> [sizeMiB] [inFlight] [seconds] [gzip]');
    process.exitCode = 2;
    return;
  }
  const body = traceRequestOfSize(Number(size) * 1024 * 1024);
  const result = await measureTransport({
    type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http',
    endpoint,
    body,
    inFlight: Number(inFlight),
    durationMs: Number(seconds) * 1000,
    compression: compression === 'gzip' ? 'gzip' : 'none',
  });
  console.log(JSON.stringify(result));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
