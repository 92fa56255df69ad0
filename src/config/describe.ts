/** The human summary `otel-replayd validate` prints: each component describes itself. Header values never appear in it. */
import { EXPORTERS } from '../exporters/index.js';
import { PROCESSORS } from '../processors/index.js';
import { RECEIVERS } from '../receivers/index.js';
import { formatDuration, formatSize } from '../units.js';
import type { ComponentConfig, ComponentFactory, Registry } from './component.js';
import type { ReplaydConfig } from './types.js';

export function describeConfig(cfg: ReplaydConfig): string {
  const { service } = cfg;
  const lines = [`config ${cfg.file}`, 'pipelines:'];
  for (const p of Object.values(service.pipelines)) {
    const workers = `${p.workers} worker${p.workers === 1 ? '' : 's'}`;
    const chain = [p.receivers.join(', '), ...p.processors, p.exporters.join(', ')].join(' -> ');
    lines.push(`  ${p.id} (${workers}): ${chain}`);
  }
  section(lines, 'receivers', describeAll(cfg.receivers, RECEIVERS));
  section(lines, 'processors', describeAll(cfg.processors, PROCESSORS));
  section(lines, 'exporters', describeAll(cfg.exporters, EXPORTERS));
  const { sink, recorder } = cfg.extensions;
  const serves = (e: { grpc?: string; http?: string }) => [e.grpc && `grpc ${e.grpc}`, e.http && `http ${e.http}`].filter(Boolean).join(', ');
  const extensions: string[] = [];
  if (sink) extensions.push(`sink: ${serves(sink)}, verify ${sink.verify ? 'on' : 'off'}${sink.report ? `, report ${sink.report}` : ''}`);
  if (recorder) {
    const limits = [recorder.durationMs > 0 && `for ${formatDuration(recorder.durationMs)}`, Number.isFinite(recorder.maxSize) && `up to ${formatSize(recorder.maxSize)}`].filter(Boolean);
    extensions.push(`recorder: ${serves(recorder)}, ${recorder.signals.join(', ')} into ${recorder.out}${limits.length ? `, ${limits.join(', ')}` : ''}`);
  }
  if (extensions.length > 0) section(lines, 'extensions', extensions);
  const t = service.telemetry;
  lines.push(
    'service:',
    `  duration ${service.durationMs === 0 ? 'until stopped' : formatDuration(service.durationMs)}, shutdown_timeout ${formatDuration(service.shutdownTimeoutMs)}`,
    `  stats every ${formatDuration(t.statsIntervalMs)}, metrics ${t.metricsAddress ?? 'disabled'}, dashboard ${dashboardWord(t.dashboard)}, log level ${t.logLevel}`,
  );
  const r = service.replicas;
  if (r.count > 1) lines.push(`  replica ${r.index} of ${r.count} (index from ${r.from}): every rate is split over the ${r.count} replicas`);
  if (service.startAt !== undefined) {
    lines.push(`  sending starts at ${service.startAt === 'next_minute' ? 'the next full minute' : new Date(service.startAt).toISOString()}`);
  }
  const text = lines.join('\n');
  return cfg.fromEnv ? cfg.fromEnv.hideText(text) : text;
}

function dashboardWord(on: boolean | undefined): string {
  return on === undefined ? 'when a person watches' : on ? 'on' : 'off';
}

function describeAll<C extends ComponentConfig, F extends ComponentFactory<C>>(all: Record<string, C>, registry: Registry<F>): string[] {
  return Object.values(all).map((c) => `${c.id}: ${registry.of(c).describe(c)}`);
}

function section(lines: string[], title: string, items: string[]): void {
  if (items.length === 0) return;
  lines.push(`${title}:`, ...items.map((i) => `  ${i}`));
}
