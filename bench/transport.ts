/**
 * Raw transport ceiling: the same request bytes sent over and over (no stamping) with
 * N requests in flight, through the real exporters. Tells how much of a pipeline's
 * throughput the transport alone leaves, and how it depends on the request size.
 * `measureTransport` is also what ceiling.ts runs on a template's compiled frames.
 *
 *   node dist/bench/transport.js <grpc|http> <endpoint> [sizeMiB=1] [inFlight=8] [seconds=5] [gzip]
 */
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { DEFAULT_GZIP_LEVEL, type ExporterConfig } from '../src/exporters/exporter-config.js';
import { createExporter } from '../src/exporters/index.js';
import type { Logger } from '../src/log.js';
import { requestType } from '../src/otlp/proto.js';
import type { Signal } from '../src/otlp/signals.js';

/** One request body and the events in it. */
export interface TransportFrame {
  body: Uint8Array;
  events: number;
}

export interface TransportBenchOptions {
  type: 'otlp_grpc' | 'otlp_http';
  endpoint: string;
  /** Sent round-robin, as they are. */
  frames: TransportFrame[];
  inFlight: number;
  durationMs: number;
  /**
   * The lanes run this long before the clock starts, so neither side's JIT warm-up nor
   * the connection's first windows are billed to the transport (default 0: one request).
   */
  warmUpMs?: number;
  signal?: Signal;
  compression?: 'none' | 'gzip';
  /** gRPC: HTTP/2 connections the requests take in turn (the exporter's `connections`). */
  connections?: number;
  compressionLevel?: number;
  log?: Logger;
}

export interface TransportBenchResult {
  type: string;
  frames: number;
  inFlight: number;
  requests: number;
  failed: number;
  seconds: number;
  requestsPerSec: number;
  eventsPerSec: number;
  /** Uncompressed request bytes per second, in MB (1e6). */
  mbPerSec: number;
  /** Client CPU (user + system) per wall second: near 1 means the exporter's thread is the bottleneck. */
  clientCpu: number;
  /** The measured window, in ms since the Unix epoch (after the warm-up). */
  fromMs: number;
  toMs: number;
  firstFailure?: string;
}

/** Sends `frames` with `inFlight` requests in flight through the real exporter for `durationMs`. */
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
    compressionLevel: opts.compressionLevel ?? DEFAULT_GZIP_LEVEL,
    compressionStamped: false,
    // Requests of several MiB on a busy shared machine: a short deadline would measure the machine.
    timeoutMs: 30_000,
    maxInFlight: opts.inFlight,
    retryOnFailure: { enabled: false, initialIntervalMs: 5000, maxIntervalMs: 30_000, maxElapsedTimeMs: 300_000, multiplier: 1.5, randomizationFactor: 0.5 },
    balancerName: 'pick_first',
    connections: opts.connections ?? 1,
    keepalive: { timeMs: 30_000, timeoutMs: 10_000, permitWithoutStream: false },
  };
  const exporter = createExporter(cfg, opts.log ?? pino({ level: 'warn' }));
  const signal = opts.signal ?? 'traces';
  const frames = opts.frames;
  let next = 0;
  let requests = 0;
  let events = 0;
  let bytes = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  await exporter.export(signal, frames[0]!.body);
  const warmUpMs = opts.warmUpMs ?? 0;
  let cpu0 = process.cpuUsage();
  if (warmUpMs > 0) setTimeout(() => (cpu0 = process.cpuUsage()), warmUpMs);
  const started = performance.now() + warmUpMs;
  const until = started + opts.durationMs;
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      const f = frames[next++ % frames.length]!;
      const out = await exporter.export(signal, f.body);
      if (performance.now() < started) continue;
      if (out.status === 'sent') {
        requests++;
        events += f.events;
        bytes += f.body.byteLength;
      } else {
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
    frames: frames.length,
    inFlight: opts.inFlight,
    requests,
    failed,
    seconds,
    requestsPerSec: requests / seconds,
    eventsPerSec: events / seconds,
    mbPerSec: bytes / seconds / 1e6,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    fromMs: performance.timeOrigin + started,
    toMs: performance.timeOrigin + started + seconds * 1000,
    firstFailure,
  };
}

/** A valid ExportTraceServiceRequest of about `bytes` bytes (spans with a 1 KiB attribute each), so a counting sink accepts it. */
function traceRequestOfSize(bytes: number): TransportFrame {
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
  return { body: type.encode(type.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish(), events: spans.length };
}

async function main(argv: string[]): Promise<void> {
  const [kind, endpoint, size = '1', inFlight = '8', seconds = '5', compression] = argv;
  if ((kind !== 'grpc' && kind !== 'http') || !endpoint) {
    console.error('usage: transport.js <grpc|http> <endpoint> [sizeMiB] [inFlight] [seconds] [gzip]');
    process.exitCode = 2;
    return;
  }
  const frame = traceRequestOfSize(Number(size) * 1024 * 1024);
  const result = await measureTransport({
    type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http',
    endpoint,
    frames: [frame],
    inFlight: Number(inFlight),
    durationMs: Number(seconds) * 1000,
    compression: compression === 'gzip' ? 'gzip' : 'none',
  });
  console.log(JSON.stringify({ requestBytes: frame.body.byteLength, ...result }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
