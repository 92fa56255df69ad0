/** `service:` — run length, shutdown, the daemon's own telemetry; pipelines are in pipelines.ts. */
import type { ConfigProblem } from '../errors.js';
import type { ServiceConfig } from './types.js';
import { checkHostPort } from './endpoints.js';
import { parsePipelines } from './pipelines.js';
import { Section, type KeyTable } from './schema.js';

export const SERVICE_KEYS: KeyTable = {
  duration: { doc: 'Stop after this long; 0 = run until stopped (or until every receiver finished its loops).', default: '0s' },
  shutdown_timeout: { doc: 'On stop, wait this long for in-flight requests; the rest are counted as failed.', default: '30s' },
  memory_limit: { doc: 'Refuse to start pipelines whose estimated memory (templates × workers, requests in flight) is above this size; default: the cgroup memory limit, else 80 % of RAM.' },
  telemetry: { doc: 'The daemon\'s own stats, metrics and logs, see the telemetry table.' },
  pipelines: { doc: 'traces[/name], metrics[/name], logs[/name]: one receiver, processors, exporters.', required: true },
};

export const TELEMETRY_KEYS: KeyTable = {
  stats_interval: { doc: 'How often a stats line is logged.', default: '5s' },
  metrics: { doc: 'Prometheus /metrics and /healthz, see the telemetry.metrics table.' },
  dashboard: { doc: 'Serve a live dashboard of the run at / on the metrics address (true or false); default: on when stdout is a terminal outside CI (a person watches), else off.' },
  logs: { doc: 'Log settings, see the telemetry.logs table.' },
};

export const TELEMETRY_METRICS_KEYS: KeyTable = {
  address: { doc: 'host:port for /metrics and /healthz; "" or none disables them.', default: '127.0.0.1:8888' },
};

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const TELEMETRY_LOGS_KEYS: KeyTable = {
  level: { doc: `One of ${LOG_LEVELS.join(', ')}.`, default: 'info' },
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
  if (t.has('dashboard')) {
    telemetry.dashboard = t.bool('dashboard');
    if (telemetry.dashboard && !telemetry.metricsAddress) t.problem('dashboard', 'is served on service.telemetry.metrics.address, which is disabled: give it a host:port');
  }
  // A missing `service` is reported once, at the top level, not again for its pipelines.
  if (raw !== undefined) s.value('pipelines');
  const cfg: ServiceConfig = {
    durationMs: s.duration('duration')!,
    shutdownTimeoutMs: s.duration('shutdown_timeout', { positive: true })!,
    telemetry,
    pipelines: s.has('pipelines') ? parsePipelines(s.raw.pipelines, s.keyPath('pipelines'), problems) : {},
  };
  const memoryLimit = s.size('memory_limit', { max: Number.MAX_SAFE_INTEGER });
  if (memoryLimit !== undefined) cfg.memoryLimit = memoryLimit;
  return cfg;
}
