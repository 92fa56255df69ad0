/** The human summary `otel-replayd validate` prints: each component describes itself. Header values never appear in it. */
import { EXPORTERS } from '../exporters/index.js';
import { PROCESSORS } from '../processors/index.js';
import { RECEIVERS } from '../receivers/index.js';
import { formatDuration } from '../units.js';
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
  const sink = cfg.extensions.sink;
  if (sink) {
    const serves = [sink.grpc && `grpc ${sink.grpc}`, sink.http && `http ${sink.http}`].filter(Boolean).join(', ');
    section(lines, 'extensions', [`sink: ${serves}, verify ${sink.verify ? 'on' : 'off'}${sink.report ? `, report ${sink.report}` : ''}`]);
  }
  const t = service.telemetry;
  lines.push(
    'service:',
    `  duration ${service.durationMs === 0 ? 'until stopped' : formatDuration(service.durationMs)}, shutdown_timeout ${formatDuration(service.shutdownTimeoutMs)}`,
    `  stats every ${formatDuration(t.statsIntervalMs)}, metrics ${t.metricsAddress ?? 'disabled'}, dashboard ${dashboardWord(t.dashboard)}, log level ${t.logLevel}`,
  );
  return lines.join('\n');
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
