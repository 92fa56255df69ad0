/** `service:` — run length, shutdown, the daemon's own telemetry; pipelines are in pipelines.ts. */
import type { ConfigProblem } from '../errors.js';
import type { ServiceConfig } from './types.js';
import { DEFAULT_METRICS_ADDRESS } from '../telemetry/listen-address.js';
import { checkHostPort } from './endpoints.js';
import { parsePipelines } from './pipelines.js';
import { Section, type KeyTable } from './schema.js';

export const SERVICE_KEYS: KeyTable = {
  duration: { doc: 'Stop after this long; 0 = run until stopped (or until every receiver finished its loops).', default: '0s' },
  shutdown_timeout: { doc: 'On stop, wait this long for in-flight requests; the rest are counted as failed.', default: '30s' },
  allow_export_failures: { doc: 'Exit 0 even when requests failed permanently (as --allow-export-failures does); otherwise such a run exits 1.', default: false },
  memory_limit: { doc: 'Refuse to start pipelines whose estimated memory (templates × workers, requests in flight) is above this size; default: the cgroup memory limit, else 80 % of RAM.' },
  telemetry: { doc: 'The daemon\'s own stats, metrics and logs, see the telemetry table.' },
  pipelines: { doc: 'traces[/name], metrics[/name], logs[/name]: one receiver, processors, exporters.', required: true },
};

export const TELEMETRY_KEYS: KeyTable = {
  stats_interval: { doc: 'How often a stats line is logged.', default: '5s' },
  metrics: { doc: 'Prometheus /metrics and /healthz, see the telemetry.metrics table.' },
  logs: { doc: 'Log settings, see the telemetry.logs table.' },
};

export const TELEMETRY_METRICS_KEYS: KeyTable = {
  address: { doc: 'host:port for /metrics and /healthz; "" or none disables them. Not 8888: that is the Collector\'s own metrics port, which a Collector sidecar in the same pod holds.', default: DEFAULT_METRICS_ADDRESS },
};

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const TELEMETRY_LOGS_KEYS: KeyTable = {
  level: { doc: `One of ${LOG_LEVELS.join(', ')}; --log-level, else OTEL_REPLAYD_LOG_LEVEL, overrides it. The summary is printed at any level.`, default: 'info' },
};

export function parseService(raw: unknown, problems: ConfigProblem[]): ServiceConfig {
  const s = new Section(raw, 'service', SERVICE_KEYS, problems);
  const t = s.section('telemetry', TELEMETRY_KEYS);
  const metrics = t.section('metrics', TELEMETRY_METRICS_KEYS);
  const logs = t.section('logs', TELEMETRY_LOGS_KEYS);
  const telemetry: ServiceConfig['telemetry'] = {
    statsIntervalMs: t.duration('stats_interval', { positive: true })!,
    logLevel: logs.oneOf('level', LOG_LEVELS)!,
  };
  const address = metrics.string('address')!;
  if (address !== '' && address !== 'none') {
    const bad = checkHostPort(address, { listen: true });
    if (bad) metrics.problem('address', bad);
    telemetry.metricsAddress = address;
  }
  // A missing `service` is reported once, at the top level, not again for its pipelines.
  if (raw !== undefined) s.value('pipelines');
  const cfg: ServiceConfig = {
    durationMs: s.duration('duration')!,
    shutdownTimeoutMs: s.duration('shutdown_timeout', { positive: true })!,
    allowExportFailures: s.bool('allow_export_failures'),
    telemetry,
    pipelines: s.has('pipelines') ? parsePipelines(s.raw.pipelines, s.keyPath('pipelines'), problems) : {},
  };
  const memoryLimit = s.size('memory_limit', { max: Number.MAX_SAFE_INTEGER });
  if (memoryLimit !== undefined) cfg.memoryLimit = memoryLimit;
  return cfg;
}
