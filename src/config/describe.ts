/** The human summary `otel-replayd validate` prints. Header values never appear in it. */
import { formatDuration } from '../units.js';
import type { ExporterConfig, ProcessorConfig, ReceiverConfig, ReplaydConfig } from './types.js';

export function describeConfig(cfg: ReplaydConfig): string {
  const { service } = cfg;
  const lines = [`config ${cfg.file}`, 'pipelines:'];
  for (const p of Object.values(service.pipelines)) {
    const workers = `${p.workers} worker${p.workers === 1 ? '' : 's'}`;
    const chain = [p.receivers.join(', '), ...p.processors, p.exporters.join(', ')].join(' -> ');
    lines.push(`  ${p.id} (${workers}): ${chain}`);
  }
  section(lines, 'receivers', Object.values(cfg.receivers).map((r) => `${r.id}: ${receiver(r)}`));
  section(lines, 'processors', Object.values(cfg.processors).map((p) => `${p.id}: ${processor(p)}`));
  section(lines, 'exporters', Object.values(cfg.exporters).flatMap(exporter));
  const sink = cfg.extensions.sink;
  if (sink) {
    const serves = [sink.grpc && `grpc ${sink.grpc}`, sink.http && `http ${sink.http}`].filter(Boolean).join(', ');
    section(lines, 'extensions', [`sink: ${serves}, verify ${sink.verify ? 'on' : 'off'}${sink.report ? `, report ${sink.report}` : ''}`]);
  }
  const t = service.telemetry;
  lines.push(
    'service:',
    `  duration ${service.durationMs === 0 ? 'until stopped' : formatDuration(service.durationMs)}, shutdown_timeout ${formatDuration(service.shutdownTimeoutMs)}`,
    `  stats every ${formatDuration(t.statsIntervalMs)}, metrics ${t.metricsAddress ?? 'disabled'}, log level ${t.logLevel}`,
  );
  return lines.join('\n');
}

function section(lines: string[], title: string, items: string[]): void {
  if (items.length === 0) return;
  lines.push(`${title}:`, ...items.map((i) => `  ${i}`));
}

function loops(n: number): string {
  return n === 0 ? 'loops forever' : `loops ${n}`;
}

function receiver(r: ReceiverConfig): string {
  if (r.type === 'generator') return `generator, pool ${r.pool}, refresh ${r.refresh === 0 ? 'never' : `every ${r.refresh} loops`}, ${loops(r.loops)}`;
  const files = (['traces', 'metrics', 'logs'] as const).filter((s) => r[s]).map((s) => `${s} ${r[s]}`);
  return `template ${files.join(', ')}, ${loops(r.loops)}`;
}

function processor(p: ProcessorConfig): string {
  switch (p.type) {
    case 'id_regen':
      return 'fresh trace and span ids every send';
    case 'timestamp':
      return `times start now - ${formatDuration(p.backdateMs)}`;
    case 'jitter':
      return `up to ${formatDuration(p.maxMs)} per trace`;
    case 'batch_splitter':
      return `at most ${p.maxItems} items and ${p.maxBytes} bytes per request`;
    case 'ratelimit':
      return `${p.eventsPerSecond} events/s, burst ${p.burst ?? '2x rate (at least the largest request)'}`;
  }
}

function exporter(e: ExporterConfig): string[] {
  const where =
    e.type === 'otlp_grpc'
      ? `grpc ${e.endpoint} (${e.tls.insecure ? 'plaintext' : 'TLS'})`
      : `http ${[e.endpoint, ...Object.entries(e.signalEndpoints).map(([s, u]) => `${s}=${u}`)].filter(Boolean).join(' ')} (${e.encoding})`;
  const r = e.retryOnFailure;
  const retry = r.enabled
    ? `retry ${formatDuration(r.initialIntervalMs)}..${formatDuration(r.maxIntervalMs)}, give up after ${r.maxElapsedTimeMs === 0 ? 'never' : formatDuration(r.maxElapsedTimeMs)}`
    : 'no retry';
  const out = [`${e.id}: ${where}, compression ${e.compression}, timeout ${formatDuration(e.timeoutMs)}, max_in_flight ${e.maxInFlight}, ${retry}`];
  if (e.tls.insecureSkipVerify) out.push('  tls: certificate NOT verified (insecure_skip_verify)');
  // Only the names: values are API keys.
  for (const name of Object.keys(e.headers)) out.push(`  ${name}: <redacted>`);
  return out;
}
