/**
 * The raw transport ceiling for a template: its compiled frames sent as they are
 * (no stamping) round-robin with N requests in flight through the real exporter.
 * Run as its own process so it is measured like the daemon.
 *
 *   node dist/bench/ceiling.js <grpc|http> <endpoint> <template.pb> [seconds=8] [inFlight=8] [maxBytes=3145728] [connections=1]
 */
import { compile } from '../src/compile/compile.js';
import { loadTemplate } from '../src/receivers/template.js';
import { measureTransport } from './transport.js';

const WARM_UP_MS = 1000;

async function main(argv: string[]): Promise<void> {
  const [kind, endpoint, file, seconds = '8', inFlight = '8', maxBytes = String(3 * 1024 * 1024), connections = '1'] = argv;
  if ((kind !== 'grpc' && kind !== 'http') || !endpoint || !file) {
    console.error('usage: ceiling.js <grpc|http> <endpoint> <template.pb> [seconds] [inFlight] [maxBytes]');
    process.exitCode = 2;
    return;
  }
  const compiled = compile([await loadTemplate(file, 'traces')], {
    idRegen: true, timestamps: true, maxItems: 1e9, maxBytes: Number(maxBytes), encodings: ['proto'],
  });
  // The end-to-end run after us gets a warm sink too.
  const r = await measureTransport({
    type: kind === 'grpc' ? 'otlp_grpc' : 'otlp_http',
    endpoint: kind === 'grpc' ? endpoint : `http://${endpoint}`,
    frames: compiled.frames.map((f) => ({ body: f.proto!.bytes, events: f.events })),
    inFlight: Number(inFlight),
    durationMs: Number(seconds) * 1000,
    warmUpMs: WARM_UP_MS,
    connections: Number(connections),
  });
  console.log(JSON.stringify({ kind, frames: r.frames, failed: r.failed, seconds: r.seconds, eventsPerSec: r.eventsPerSec, mbPerSec: r.mbPerSec, clientCpu: r.clientCpu, fromMs: r.fromMs, toMs: r.toMs }));
}

void main(process.argv.slice(2));
