/** `service:` — run length, shutdown, the daemon's own telemetry; pipelines are in pipelines.ts. */
import type { ConfigProblem } from '../errors.js';
import type { CapacitySettings, ServiceConfig, StartAt } from './types.js';
import { DEFAULT_METRICS_ADDRESS } from '../telemetry/listen-address.js';
import { checkHostPort } from './endpoints.js';
import type { Env } from './env.js';
import { parsePipelines } from './pipelines.js';
import { JOB_INDEX_ENV, MAX_REPLICAS, parseReplicas, REPLICAS_ENV, RUN_ID_ENV, type ReplicaFlag } from './replicas.js';
import { Section, type KeyTable } from './schema.js';

export const SERVICE_KEYS: KeyTable = {
  duration: { doc: 'Stop after this long; 0 = run until stopped (or until every receiver finished its loops).', default: '0s' },
  shutdown_timeout: { doc: 'On stop, wait this long for in-flight requests; the rest are counted as failed.', default: '30s' },
  allow_export_failures: { doc: 'Exit 0 even when requests failed permanently (as --allow-export-failures does); otherwise such a run exits 1.', default: false },
  start_at: { doc: 'Load and compile every template, then start sending at this moment: an RFC 3339 time ("2026-05-01T12:00:00Z") or next_minute (the next full minute after the daemon started). Replicas given the same time start together; /healthz answers 200 "waiting" until then. Default: at once.' },
  replicas: { doc: 'This process\'s part of a scaled-out run, see the service.replicas table.' },
  memory_limit: { doc: 'Refuse to start pipelines whose estimated memory (templates × workers, requests in flight) is above this size; default: the cgroup memory limit, else 80 % of RAM.' },
  telemetry: { doc: 'The daemon\'s own stats, metrics and logs, see the telemetry table.' },
  capacity: { doc: 'How `otel-replayd capacity` searches for the highest rate the endpoint sustains, see the service.capacity table.' },
  pipelines: { doc: 'traces[/name], metrics[/name], logs[/name]: one receiver, processors, exporters.', required: true },
};

export const REPLICAS_KEYS: KeyTable = {
  count: { doc: `How many replicas share every rate (at most ${MAX_REPLICAS}); default $${REPLICAS_ENV}, else 1. --replica I/N overrides count and index.` },
  index: { doc: `This replica, from 0 to count - 1; default $${JOB_INDEX_ENV} (an Indexed Job), else the ordinal ending the hostname (a StatefulSet pod, "name-3" is 3) when count is above 1, else 0.` },
  run_id: { doc: `Names the run in every replica's stats and summary lines, so their results can be merged; default $${RUN_ID_ENV}, else a random id per process.` },
};

export const TELEMETRY_KEYS: KeyTable = {
  stats_interval: { doc: 'How often a stats line is logged.', default: '5s' },
  metrics: { doc: 'Prometheus /metrics and /healthz, see the telemetry.metrics table.' },
  dashboard: { doc: 'Serve a live dashboard of the run at / on the metrics address (true or false); default: on when stdout is a terminal outside CI (a person watches), else off.' },
  logs: { doc: 'Log settings, see the telemetry.logs table.' },
};

export const TELEMETRY_METRICS_KEYS: KeyTable = {
  address: { doc: 'host:port for /metrics and /healthz; "" or none disables them. Not 8888: that is the Collector\'s own metrics port, which a Collector sidecar in the same pod holds.', default: DEFAULT_METRICS_ADDRESS },
};

export const CAPACITY_KEYS: KeyTable = {
  start_rate: { doc: 'Events/s of the first step.', default: 1000 },
  max_rate: { doc: 'Never try more than this many events/s; 0 = no limit.', default: 0 },
  growth: { doc: 'While every step holds, the next one tries this many times the rate.', default: 2 },
  precision: { doc: 'Once a step failed, narrow down until the highest rate held and the lowest that failed are this fraction apart.', default: 0.05 },
  warmup: { doc: 'After each rate change, wait this long before measuring (requests and retries of the previous step settle).', default: '5s' },
  window: { doc: 'How long each step is measured; a step holds when the whole window passes the checks below.', default: '10s' },
  min_sent_ratio: { doc: 'A step fails when the rate the endpoint accepted is below this fraction of the step\'s rate.', default: 0.95 },
  max_error_ratio: { doc: 'A step fails when failed requests plus retries are more than this fraction of the requests that ended.', default: 0.01 },
  max_p99: { doc: 'A step fails when the p99 export latency (first attempt to outcome) is above this.', default: '1s' },
  confirm_failures: { doc: 'Measure a rate that failed again this many times before it counts as failed (a hiccup should not cap the result).', default: 1 },
  max_steps: { doc: 'Stop after this many steps (measurements) and report the best rate held so far.', default: 30 },
};

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const TELEMETRY_LOGS_KEYS: KeyTable = {
  level: { doc: `One of ${LOG_LEVELS.join(', ')}; --log-level, else OTEL_REPLAYD_LOG_LEVEL, overrides it. The summary is printed at any level.`, default: 'info' },
};

/** `flag` is --replica I/N, which overrides service.replicas; `env` supplies the Kubernetes defaults. */
export function parseService(raw: unknown, problems: ConfigProblem[], env: Env = process.env, flag?: ReplicaFlag): ServiceConfig {
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
    allowExportFailures: s.bool('allow_export_failures'),
    replicas: parseReplicas(s.section('replicas', REPLICAS_KEYS), env, flag),
    telemetry,
    pipelines: s.has('pipelines') ? parsePipelines(s.raw.pipelines, s.keyPath('pipelines'), problems) : {},
  };
  const startAt = parseStartAt(s);
  if (startAt !== undefined) cfg.startAt = startAt;
  const memoryLimit = s.size('memory_limit', { max: Number.MAX_SAFE_INTEGER });
  if (memoryLimit !== undefined) cfg.memoryLimit = memoryLimit;
  if (s.has('capacity')) cfg.capacity = parseCapacity(s.section('capacity', CAPACITY_KEYS));
  return cfg;
}

/** RFC 3339 with a zone, as Kubernetes and `date -u +%FT%TZ` write it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseStartAt(s: Section): StartAt | undefined {
  const v = s.string('start_at');
  if (v === undefined || v === '') return undefined;
  if (v === 'next_minute') return v;
  const ms = RFC3339.test(v) ? Date.parse(v.replace(' ', 'T')) : NaN;
  if (Number.isFinite(ms)) return ms;
  s.problem('start_at', `must be an RFC 3339 time with a zone, like "2026-05-01T12:00:00Z", or next_minute; got ${JSON.stringify(v)}`);
  return undefined;
}

/** The moment sending starts, in ms since the epoch: next_minute is the next full minute after `now`. */
export function startAtMs(startAt: StartAt | undefined, now: number): number | undefined {
  if (startAt === undefined) return undefined;
  return startAt === 'next_minute' ? (Math.floor(now / 60_000) + 1) * 60_000 : startAt;
}

/** `service.capacity`; without the section (`capacityDefaults`) every key has its default. */
function parseCapacity(c: Section): CapacitySettings {
  const out: CapacitySettings = {
    startRate: c.number('start_rate', { positive: true })!,
    maxRate: c.number('max_rate', { min: 0 })!,
    growth: c.number('growth', { min: 1 })!,
    precision: c.number('precision', { positive: true, max: 1 })!,
    warmupMs: c.duration('warmup')!,
    windowMs: c.duration('window', { positive: true })!,
    minSentRatio: c.number('min_sent_ratio', { positive: true, max: 1 })!,
    maxErrorRatio: c.number('max_error_ratio', { min: 0 })!,
    maxP99Ms: c.duration('max_p99', { positive: true })!,
    confirmFailures: c.number('confirm_failures', { integer: true, min: 0, max: 10 })!,
    maxSteps: c.number('max_steps', { integer: true, positive: true, max: 1000 })!,
  };
  if (out.growth === 1) c.problem('growth', 'must be greater than 1');
  if (out.maxRate > 0 && out.maxRate < out.startRate) c.problem('max_rate', `must be at least start_rate (${out.startRate}), or 0 for no limit`);
  return out;
}

/** The capacity search's settings when the config has no `service.capacity`. */
export function capacityDefaults(): CapacitySettings {
  return parseCapacity(new Section({}, 'service.capacity', CAPACITY_KEYS, []));
}
