/** The OTLP exporters' config (gRPC and HTTP share most of it): keys, parsing, description. */
import type { ComponentConfig, ParseContext } from '../config/component.js';
import type { ConfigProblem } from '../errors.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { formatDuration } from '../units.js';
import { checkHostPort, checkHttpUrl, signalPathIn, splitGrpcEndpoint } from '../config/endpoints.js';
import { Section, isMapping, joinPath, setOwn, type KeyTable } from '../config/schema.js';
import { EXPORTER_HINTS, maxInFlightFromQueue } from './collector-keys.js';
import { endpointVariables, scrubEnvProblems, takesOtlpEnv, withOtlpEnv } from './otlp-env.js';
import { parseTls, tlsSection, type TlsConfig } from './tls-config.js';

export type { TlsConfig } from './tls-config.js';

export interface RetryConfig {
  enabled: boolean;
  initialIntervalMs: number;
  maxIntervalMs: number;
  maxElapsedTimeMs: number;
  multiplier: number;
  randomizationFactor: number;
}

/** grpc-js keepalive channel options, under the Collector's names. */
export interface KeepaliveConfig {
  timeMs: number;
  timeoutMs: number;
  permitWithoutStream: boolean;
}

export interface ExporterConfig extends ComponentConfig {
  readonly type: 'otlp_grpc' | 'otlp_http';
  /** gRPC: host:port or dns:///host:port (an http(s):// scheme is stripped); HTTP: base URL. */
  endpoint: string;
  /** HTTP only: full URLs that replace endpoint + /v1/<signal>. */
  signalEndpoints: Partial<Record<Signal, string>>;
  /** HTTP only; gRPC is always proto. */
  encoding: 'proto' | 'json';
  tls: TlsConfig;
  /** Values are secrets (API keys): never log them. */
  headers: Record<string, string>;
  compression: 'none' | 'gzip';
  /** gzip level 1-9 (compression_params.level, the Collector's name). */
  compressionLevel: number;
  /** gzip: compress frames once at load and stamp the compressed bytes (compression_params.stamped). */
  compressionStamped: boolean;
  timeoutMs: number;
  maxInFlight: number;
  retryOnFailure: RetryConfig;
  /** gRPC only: the channel's load-balancing policy over the addresses its name resolves to. */
  balancerName: 'pick_first' | 'round_robin';
  /** gRPC only. */
  keepalive: KeepaliveConfig;
  /** gRPC only: HTTP/2 connections (one grpc-js channel each) that requests take in turn; HTTP carries 1. */
  connections: number;
  /** Set when the block names no endpoint and so takes OTEL_EXPORTER_OTLP_* variables: the ones it used. */
  fromEnv?: string[];
  /** The config for a signal whose OTEL_EXPORTER_OTLP_<SIGNAL>_* variables make it differ (see exporterFor). */
  signals?: Partial<Record<Signal, ExporterConfig>>;
}

export const DEFAULT_GZIP_LEVEL = 1;

export const RETRY_KEYS: KeyTable = {
  enabled: { doc: 'Retry retryable failures (UNAVAILABLE, 429, 502-504, …) with exponential backoff.', default: true },
  initial_interval: { doc: 'First backoff delay.', default: '5s' },
  max_interval: { doc: 'Longest backoff delay.', default: '30s' },
  max_elapsed_time: { doc: 'Give up (count the request failed) after this long; 0 = never give up.', default: '300s' },
  multiplier: { doc: 'Backoff growth factor per attempt.', default: 1.5 },
  randomization_factor: { doc: 'Each delay is randomized by ± this fraction.', default: 0.5 },
};

/**
 * The Collector's confighttp shape. Level 1 keeps ≥ 80 % of zlib level 6's ratio on the
 * stamped bench requests (zlib 86 %, stamped 83 %; README, Performance), at 3× zlib
 * level 6's speed: random ids and times, which no level compresses, are much of a request.
 */
export const COMPRESSION_PARAMS_KEYS: KeyTable = {
  level: { doc: 'gzip level, 1 (fastest) to 9 (smallest); with stamped, the effort of the compression done once at load.', default: DEFAULT_GZIP_LEVEL },
  stamped: {
    doc: 'Compress each request once at load and per send write only its new ids, times and digits into the compressed bytes '
      + '(README, gzip); false: zlib compresses every request on its thread pool.',
    default: true,
  },
};

export const KEEPALIVE_KEYS: KeyTable = {
  time: { doc: 'Ping the server after this long without activity on the connection.', default: '30s' },
  timeout: { doc: 'Close the connection when a ping is not answered within this long.', default: '10s' },
  permit_without_stream: { doc: 'Ping even while no request is in flight.', default: false },
};

const COMMON_KEYS: KeyTable = {
  endpoint: { doc: 'gRPC: host:port or dns:///host:port (an http(s):// prefix is stripped). HTTP: base URL; /v1/<signal> is appended. Omitted: taken, with every setting this block does not give, from the OTEL_EXPORTER_OTLP_* variables.' },
  tls: { doc: 'TLS settings, see the tls table.' },
  headers: { doc: 'Extra request headers/metadata; values are secrets and never logged. ${env:VAR} works here.' },
  compression: { doc: 'none or gzip.', default: 'none' },
  compression_params: { doc: 'gzip settings, see the compression_params table.' },
  timeout: { doc: 'Deadline of one attempt.', default: '10s' },
  max_in_flight: { doc: 'Most concurrent requests to this exporter per worker; bounds memory.', default: 4 },
  retry_on_failure: { doc: 'Retry policy, see the retry_on_failure table.' },
  sending_queue: { doc: 'Accepted for Collector configs: num_consumers sets max_in_flight; see the sending_queue table.' },
};

export const EXPORTER_KEYS: Readonly<Record<ExporterConfig['type'], KeyTable>> = {
  otlp_grpc: {
    ...COMMON_KEYS,
    balancer_name: { doc: 'pick_first or round_robin (spread requests over every address the name resolves to, e.g. with dns:///).', default: 'pick_first' },
    keepalive: { doc: 'HTTP/2 keepalive pings, see the keepalive table.' },
    connections: { doc: 'HTTP/2 connections to the endpoint, each its own channel; requests take them in turn. One connection carries every request in flight over one TCP stream: more (up to max_in_flight) spread the bytes over several.', default: 1 },
  },
  otlp_http: {
    ...COMMON_KEYS,
    encoding: { doc: 'proto or json (OTLP/JSON).', default: 'proto' },
    traces_endpoint: { doc: 'Full URL for traces, replacing endpoint + /v1/traces.' },
    metrics_endpoint: { doc: 'Full URL for metrics, replacing endpoint + /v1/metrics.' },
    logs_endpoint: { doc: 'Full URL for logs, replacing endpoint + /v1/logs.' },
  },
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab: what both HTTP/1.1 and gRPC (non -bin) metadata accept. */
export const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Parses one exporter block. A block that names no endpoint takes the OTEL_EXPORTER_OTLP_*
 * variables under it (otlp-env.ts); since those may differ per signal, it is then read once
 * per signal it serves, and a signal whose config differs gets its own (`signals`).
 */
export function parseExporter(type: ExporterConfig['type'], raw: unknown, ctx: ParseContext): ExporterConfig {
  if (!takesOtlpEnv(raw)) return parseBlock(type, raw, ctx);
  const served: (Signal | undefined)[] = ctx.signals.length > 0 ? [...ctx.signals] : [undefined];
  const reported = new Set<string>();
  const variants = served.map((signal) => {
    const problems: ConfigProblem[] = [];
    const overlay = withOtlpEnv(type, raw, ctx.env, signal, ctx.path, problems);
    const cfg = parseBlock(type, overlay.raw, ctx.withProblems(problems), { signal, used: overlay.used });
    // Two signals read the same file keys: a problem with one of them is reported once.
    for (const p of scrubEnvProblems(problems, overlay.origins, ctx.path)) {
      const key = `${p.path}\0${p.message}`;
      if (!reported.has(key)) ctx.problems.push(p);
      reported.add(key);
    }
    return cfg;
  });
  const base = variants[0]!;
  const differing = served.flatMap((signal, i) => (signal && JSON.stringify(variants[i]) !== JSON.stringify(base) ? [[signal, variants[i]!] as const] : []));
  if (differing.length > 0) base.signals = Object.fromEntries(differing);
  return base;
}

/** The exporter config a pipeline of `signal` uses (plain data, without the other signals' configs). */
export function exporterFor(cfg: ExporterConfig, signal: Signal): ExporterConfig {
  const { signals, ...own } = cfg;
  return signals?.[signal] ?? own;
}

/** The config and every per-signal variant of it: what checks before start go through. */
export function exporterVariants(cfg: ExporterConfig): ExporterConfig[] {
  return [cfg, ...Object.values(cfg.signals ?? {})];
}

interface EnvUse {
  /** The signal this reading is for; undefined for an exporter no pipeline lists. */
  signal: Signal | undefined;
  used: string[];
}

function parseBlock(type: ExporterConfig['type'], raw: unknown, ctx: ParseContext, env?: EnvUse): ExporterConfig {
  const { id, baseDir, path, problems } = ctx;
  const s = new Section(raw, path, EXPORTER_KEYS[type], problems, EXPORTER_HINTS[type]);
  const tls = parseTls(tlsSection(s), baseDir);
  // HTTP has no keepalive key (an unknown one gets a hint); its config carries the defaults.
  const keepalive = type === 'otlp_grpc' ? s.section('keepalive', KEEPALIVE_KEYS) : new Section({}, path, KEEPALIVE_KEYS, []);
  const maxInFlight = s.number('max_in_flight', { integer: true, positive: true, max: 10_000 })!;
  const params = s.section('compression_params', COMPRESSION_PARAMS_KEYS);
  const cfg: ExporterConfig = {
    type,
    id,
    endpoint: '',
    signalEndpoints: {},
    encoding: type === 'otlp_http' ? s.oneOf('encoding', ['proto', 'json'] as const)! : 'proto',
    tls,
    headers: parseHeaders(s.raw.headers, joinPath(path, 'headers'), problems),
    compression: s.oneOf('compression', ['none', 'gzip'] as const)!,
    compressionLevel: params.number('level', { integer: true, min: 1, max: 9 })!,
    compressionStamped: params.bool('stamped'),
    timeoutMs: s.duration('timeout', { positive: true })!,
    maxInFlight: maxInFlightFromQueue(s, maxInFlight) ?? maxInFlight,
    retryOnFailure: parseRetry(s.section('retry_on_failure', RETRY_KEYS)),
    balancerName: type === 'otlp_grpc' ? s.oneOf('balancer_name', ['pick_first', 'round_robin'] as const)! : 'pick_first',
    connections: type === 'otlp_grpc' ? s.number('connections', { integer: true, positive: true, max: 64 })! : 1,
    keepalive: {
      timeMs: keepalive.duration('time', { positive: true })!,
      timeoutMs: keepalive.duration('timeout', { positive: true })!,
      permitWithoutStream: keepalive.bool('permit_without_stream'),
    },
  };
  if (cfg.connections > cfg.maxInFlight) {
    s.problem('connections', `is ${cfg.connections} but max_in_flight is ${cfg.maxInFlight}: connections beyond max_in_flight would never carry a request`);
  }
  if (env) cfg.fromEnv = env.used;
  const endpoint = s.string('endpoint');
  if (type === 'otlp_grpc') {
    if (endpoint !== undefined) cfg.endpoint = grpcEndpoint(s, endpoint, tls);
    else s.problem('endpoint', env ? `is required: set it here, or set ${endpointVariables(env.signal)}` : 'is required');
    return cfg;
  }
  for (const signal of SIGNAL_NAMES) {
    const url = s.string(`${signal}_endpoint`);
    if (url === undefined) continue;
    const bad = checkHttpUrl(url);
    if (bad) s.problem(`${signal}_endpoint`, bad);
    cfg.signalEndpoints[signal] = url;
  }
  if (endpoint !== undefined) {
    const bad = checkHttpUrl(endpoint);
    if (bad) s.problem('endpoint', bad);
    // endpoint + '/v1/traces' must not produce '//v1/traces'.
    cfg.endpoint = endpoint.replace(/\/+$/, '');
    const path = bad ? undefined : signalPathIn(cfg.endpoint);
    if (path) {
      const signal = path.slice('/v1/'.length);
      s.problem('endpoint', `ends in ${path}, and /v1/<signal> is appended to endpoint, so requests would go to ${path}/v1/${signal}: `
        + `drop ${path} from endpoint, or give the full URL as ${signal}_endpoint instead`);
    }
  } else if (Object.keys(cfg.signalEndpoints).length === 0 && !env) {
    // With variables, whether a signal has a URL is the pipeline's question (httpSignalProblem).
    s.problem('endpoint', 'is required (or give traces_endpoint, metrics_endpoint, logs_endpoint)');
  }
  return cfg;
}

function grpcEndpoint(s: Section, endpoint: string, tls: TlsConfig): string {
  const { scheme, target } = splitGrpcEndpoint(endpoint);
  const bad = scheme === 'dns' && target === undefined
    ? `a DNS authority is not supported: write dns:///host:port, got ${JSON.stringify(endpoint)}`
    : checkHostPort(target ?? '');
  if (bad) s.problem('endpoint', bad);
  // Plaintext must be asked for in tls.insecure; a scheme that disagrees is a mistake either way.
  if (scheme === 'https' && tls.insecure) s.problem('endpoint', 'says https:// but tls.insecure is true; drop one of them');
  if (scheme === 'http' && !tls.insecure) {
    s.problem('endpoint', 'says http:// but gRPC uses TLS unless tls.insecure is true; set tls: { insecure: true } or drop the scheme');
  }
  // grpc-js resolves a bare host:port with DNS as well; the dns:/// form is kept as written.
  return scheme === 'dns' ? `dns:///${target}` : (target ?? '');
}

function parseRetry(s: Section): RetryConfig {
  const cfg: RetryConfig = {
    enabled: s.bool('enabled'),
    initialIntervalMs: s.duration('initial_interval', { positive: true })!,
    maxIntervalMs: s.duration('max_interval', { positive: true })!,
    maxElapsedTimeMs: s.duration('max_elapsed_time')!,
    multiplier: s.number('multiplier', { min: 1, max: 100 })!,
    randomizationFactor: s.number('randomization_factor', { min: 0, max: 1 })!,
  };
  if (cfg.maxIntervalMs < cfg.initialIntervalMs) s.problem('max_interval', 'must not be less than initial_interval');
  return cfg;
}

/**
 * Header names are lower-cased (gRPC metadata requires it; HTTP ignores case) and sorted,
 * so reordering them in the file does not count as a change on reload. Messages here
 * name the header, never its value.
 */
function parseHeaders(raw: unknown, path: string, problems: ConfigProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (!isMapping(raw)) {
    problems.push({ path, message: 'must be a mapping of header name to string value' });
    return out;
  }
  for (const name of Object.keys(raw).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))) {
    const value = raw[name];
    const key = name.toLowerCase();
    const at = joinPath(path, name);
    if (!HEADER_NAME.test(name)) problems.push({ path: at, message: `"${name}" is not a valid header name` });
    else if (Object.hasOwn(out, key)) problems.push({ path: at, message: `header "${key}" is given twice (names are case-insensitive)` });
    else if (typeof value !== 'string') problems.push({ path: at, message: `value of header "${key}" must be a string (quote it)` });
    else if (!HEADER_VALUE.test(value)) {
      problems.push({ path: at, message: `value of header "${key}" must be printable ASCII: it holds a control character (or a line break, or non-ASCII text); value not shown` });
    }
    else setOwn(out, key, value);
  }
  return out;
}

/** One line for `validate` (and one per signal that differs): where it sends and how; header names only, never values. */
export function describeExporter(e: ExporterConfig): string {
  const lines = [describeOne(e)];
  for (const [signal, v] of Object.entries(e.signals ?? {})) lines.push(`for ${signal}: ${describeOne(v).replaceAll('\n    ', '\n      ')}`);
  return lines.join('\n    ');
}

function describeOne(e: ExporterConfig): string {
  const where =
    e.type === 'otlp_grpc'
      ? `grpc ${e.endpoint || '(no endpoint)'} (${e.tls.insecure ? 'plaintext' : 'TLS'}${e.balancerName === 'round_robin' ? ', round_robin' : ''})`
      : `http ${[e.endpoint, ...Object.entries(e.signalEndpoints).map(([s, u]) => `${s}=${u}`)].filter(Boolean).join(' ') || '(no endpoint)'} (${e.encoding})`;
  const r = e.retryOnFailure;
  const retry = r.enabled
    ? `retry ${formatDuration(r.initialIntervalMs)}..${formatDuration(r.maxIntervalMs)}, give up after ${r.maxElapsedTimeMs === 0 ? 'never' : formatDuration(r.maxElapsedTimeMs)}`
    : 'no retry';
  const conns = e.connections > 1 ? `, ${e.connections} connections` : '';
  const compression = e.compression === 'gzip' ? `gzip level ${e.compressionLevel}${e.compressionStamped ? ' (stamped)' : ''}` : e.compression;
  const out = [`${where}${conns}, compression ${compression}, timeout ${formatDuration(e.timeoutMs)}, max_in_flight ${e.maxInFlight}, ${retry}`];
  if (e.fromEnv) out.push(e.fromEnv.length > 0 ? `from the environment: ${e.fromEnv.join(', ')}` : 'no endpoint here and no OTEL_EXPORTER_OTLP_* variable set');
  if (e.tls.minVersion) out.push(`tls: at least ${e.tls.minVersion}`);
  if (e.tls.insecureSkipVerify) out.push('tls: certificate NOT verified (insecure_skip_verify)');
  for (const name of Object.keys(e.headers)) out.push(`${name}: <redacted>`);
  return out.join('\n    ');
}

/** An HTTP exporter needs a URL for the pipeline's signal. */
export function httpSignalProblem(cfg: ExporterConfig, signal: Signal): string | undefined {
  const e = exporterFor(cfg, signal);
  if (e.endpoint !== '' || e.signalEndpoints[signal] !== undefined) return undefined;
  const vars = e.fromEnv ? `, or ${endpointVariables(signal)}` : '';
  return `has no endpoint for ${signal} (set endpoint or ${signal}_endpoint${vars})`;
}
