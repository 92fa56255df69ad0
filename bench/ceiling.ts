/**
 * The raw transport ceiling for a template: its compiled frames sent as they are
 * (no stamping) round-robin with N requests in flight through the real exporter.
 * Run as its own process so it is measured like the daemon.
 *
 *   node dist/bench/ceiling.js <grpc|http> <endpoint> <template.pb> [seconds=8] [inFlight=8] [maxBytes=3145728]
 */
import pino from 'pino';
import type { ExporterConfig } from '../src/config/types.js';
import { createExporter } from '../src/exporters/index.js';
import { compile } from '../src/pipeline/compile.js';
import { loadTemplate } from '../src/receivers/template.js';

const WARM_UP_MS = 1000;

async function main(argv: string[]): Promise<void> {
  const [kind, endpoint, file, seconds = '8', inFlight = '8', maxBytes = String(3 * 1024 * 1024)] = argv;
  if ((kind !== 'grpc' && kind !== 'http') || !endpoint || !file) {
    console.error('usage: ceiling.js <grpc|http> <endpoint> <template.pb> [seconds] [inFlight] [maxBytes]');
    process.exitCode = 2;
    return;
  }
  const compiled = compile([await loadTemplate(file, 'traces')], {
    idRegen: true, timestamps: true, maxItems: 1e9, maxBytes: Number(maxBytes), encodings: ['proto'],
  });
  const frames = compiled.frames.map((f) => ({ body: f.proto!.bytes, events: f.events }));
  const cfg: ExporterConfig = {
    type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http',
    id: `${kind}/ceiling`,
    endpoint: kind === 'grpc' ? endpoint : `http://${endpoint}`,
    signalEndpoints: {},
    encoding: 'proto',
    tls: { insecure: true, insecureSkipVerify: false },
    headers: {},
    compression: 'none',
    timeoutMs: 30_000,
    maxInFlight: Number(inFlight),
    retryOnFailure: { enabled: false, initialIntervalMs: 1000, maxIntervalMs: 1000, maxElapsedTimeMs: 1000, multiplier: 1, randomizationFactor: 0 },
  };
  const exporter = createExporter(cfg, pino({ level: 'warn' }));
  await exporter.export('traces', frames[0]!.body);
  let next = 0;
  let events = 0;
  let bytes = 0;
  let failed = 0;
  // The lanes run a second before the clock starts, so neither side's JIT warm-up nor the
  // connection's first windows are billed to the transport (the end-to-end run after us
  // gets a warm sink too).
  const started = performance.now() + WARM_UP_MS;
  const until = started + Number(seconds) * 1000;
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      const f = frames[next++ % frames.length]!;
      const out = await exporter.export('traces', f.body);
      if (performance.now() < started) continue;
      if (out.status === 'sent') {
        events += f.events;
        bytes += f.body.byteLength;
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: cfg.maxInFlight }, lane));
  const s = (performance.now() - started) / 1000;
  await exporter.close();
  console.log(JSON.stringify({ kind, frames: frames.length, failed, seconds: s, eventsPerSec: events / s, mbPerSec: bytes / s / 1e6 }));
}

void main(process.argv.slice(2));
