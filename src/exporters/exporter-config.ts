/** The OTLP exporters' config (gRPC and HTTP share most of it): keys, parsing, description. */
import { resolve } from 'node:path';
import type { ComponentConfig, ParseContext } from '../config/component.js';
import type { ConfigProblem } from '../errors.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { formatDuration } from '../units.js';
import { checkHostPort, checkHttpUrl, signalPathIn, splitGrpcEndpoint } from '../config/endpoints.js';
import { Section, isFile, isMapping, joinPath, setOwn, type KeyTable } from '../config/schema.js';

export interface TlsConfig {
  insecure: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify: boolean;
  serverNameOverride?: string;
}

export interface RetryConfig {
  enabled: boolean;
  initialIntervalMs: number;
  maxIntervalMs: number;
  maxElapsedTimeMs: number;
  multiplier: number;
  randomizationFactor: number;
}

export interface ExporterConfig extends ComponentConfig {
  readonly type: 'otlp_grpc' | 'otlp_http';
  /** gRPC: host:port (a scheme is accepted and stripped); HTTP: base URL. */
  endpoint: string;
  /** HTTP only: full URLs that replace endpoint + /v1/<signal>. */
  signalEndpoints: Partial<Record<Signal, string>>;
  /** HTTP only; gRPC is always proto. */
  encoding: 'proto' | 'json';
  tls: TlsConfig;
  /** Values are secrets (API keys): never log them. */
  headers: Record<string, string>;
  compression: 'none' | 'gzip';
  timeoutMs: number;
  maxInFlight: number;
  retryOnFailure: RetryConfig;
}

export const TLS_KEYS: KeyTable = {
  insecure: { doc: 'gRPC: true = plaintext; TLS is used unless this is set. HTTP: the URL scheme decides.', default: false },
  ca_file: { doc: 'PEM file of CAs to trust instead of the system roots.' },
  cert_file: { doc: 'PEM client certificate for mutual TLS (with key_file).' },
  key_file: { doc: 'PEM client key for mutual TLS (with cert_file).' },
  insecure_skip_verify: { doc: 'Do not verify the server certificate (testing only).', default: false },
  server_name_override: { doc: 'Name to verify the server certificate against (and send as SNI).' },
};

export const RETRY_KEYS: KeyTable = {
  enabled: { doc: 'Retry retryable failures (UNAVAILABLE, 429, 502-504, …) with exponential backoff.', default: true },
  initial_interval: { doc: 'First backoff delay.', default: '5s' },
  max_interval: { doc: 'Longest backoff delay.', default: '30s' },
  max_elapsed_time: { doc: 'Give up (count the request failed) after this long; 0 = never give up.', default: '300s' },
  multiplier: { doc: 'Backoff growth factor per attempt.', default: 1.5 },
  randomization_factor: { doc: 'Each delay is randomized by ± this fraction.', default: 0.5 },
};

const COMMON_KEYS: KeyTable = {
  endpoint: { doc: 'gRPC: host:port (an http(s):// prefix is stripped). HTTP: base URL; /v1/<signal> is appended.' },
  tls: { doc: 'TLS settings, see the tls table.' },
  headers: { doc: 'Extra request headers/metadata; values are secrets and never logged. ${env:VAR} works here.' },
  compression: { doc: 'none or gzip.', default: 'none' },
  timeout: { doc: 'Deadline of one attempt.', default: '10s' },
  max_in_flight: { doc: 'Most concurrent requests to this exporter per worker; bounds memory.', default: 4 },
  retry_on_failure: { doc: 'Retry policy, see the retry_on_failure table.' },
};

export const EXPORTER_KEYS: Readonly<Record<ExporterConfig['type'], KeyTable>> = {
  otlp_grpc: COMMON_KEYS,
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

export function parseExporter(type: ExporterConfig['type'], raw: unknown, ctx: ParseContext): ExporterConfig {
  const { id, baseDir, path, problems } = ctx;
  const s = new Section(raw, path, EXPORTER_KEYS[type], problems);
  const tls = parseTls(s.section('tls', TLS_KEYS), baseDir);
  const cfg: ExporterConfig = {
    type,
    id,
    endpoint: '',
    signalEndpoints: {},
    encoding: type === 'otlp_http' ? s.oneOf('encoding', ['proto', 'json'] as const)! : 'proto',
    tls,
    headers: parseHeaders(s.raw.headers, joinPath(path, 'headers'), problems),
    compression: s.oneOf('compression', ['none', 'gzip'] as const)!,
    timeoutMs: s.duration('timeout', { positive: true })!,
    maxInFlight: s.number('max_in_flight', { integer: true, positive: true, max: 10_000 })!,
    retryOnFailure: parseRetry(s.section('retry_on_failure', RETRY_KEYS)),
  };
  const endpoint = s.string('endpoint');
  if (type === 'otlp_grpc') {
    if (endpoint === undefined) s.problem('endpoint', 'is required');
    else cfg.endpoint = grpcEndpoint(s, endpoint, tls);
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
  } else if (Object.keys(cfg.signalEndpoints).length === 0) {
    s.problem('endpoint', 'is required (or give traces_endpoint, metrics_endpoint, logs_endpoint)');
  }
  return cfg;
}

function grpcEndpoint(s: Section, endpoint: string, tls: TlsConfig): string {
  const { scheme, target } = splitGrpcEndpoint(endpoint);
  const bad = checkHostPort(target);
  if (bad) s.problem('endpoint', bad);
  // Plaintext must be asked for in tls.insecure; a scheme that disagrees is a mistake either way.
  if (scheme === 'https' && tls.insecure) s.problem('endpoint', 'says https:// but tls.insecure is true; drop one of them');
  if (scheme === 'http' && !tls.insecure) {
    s.problem('endpoint', 'says http:// but gRPC uses TLS unless tls.insecure is true; set tls: { insecure: true } or drop the scheme');
  }
  return target;
}

function parseTls(s: Section, baseDir: string): TlsConfig {
  const tls: TlsConfig = { insecure: s.bool('insecure'), insecureSkipVerify: s.bool('insecure_skip_verify') };
  const files = [
    ['ca_file', 'caFile'],
    ['cert_file', 'certFile'],
    ['key_file', 'keyFile'],
  ] as const;
  for (const [key, field] of files) {
    const rel = s.string(key);
    if (rel === undefined) continue;
    const file = resolve(baseDir, rel);
    if (!isFile(file)) s.problem(key, `file ${file} does not exist`);
    tls[field] = file;
  }
  if (s.has('cert_file') !== s.has('key_file')) {
    s.problem(s.has('cert_file') ? 'key_file' : 'cert_file', 'is required with cert_file/key_file (mutual TLS needs both)');
  }
  const name = s.string('server_name_override');
  if (name !== undefined) tls.serverNameOverride = name;
  return tls;
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

/** One line for `validate`: where it sends and how; header names only, never their values. */
export function describeExporter(e: ExporterConfig): string {
  const where =
    e.type === 'otlp_grpc'
      ? `grpc ${e.endpoint} (${e.tls.insecure ? 'plaintext' : 'TLS'})`
      : `http ${[e.endpoint, ...Object.entries(e.signalEndpoints).map(([s, u]) => `${s}=${u}`)].filter(Boolean).join(' ')} (${e.encoding})`;
  const r = e.retryOnFailure;
  const retry = r.enabled
    ? `retry ${formatDuration(r.initialIntervalMs)}..${formatDuration(r.maxIntervalMs)}, give up after ${r.maxElapsedTimeMs === 0 ? 'never' : formatDuration(r.maxElapsedTimeMs)}`
    : 'no retry';
  const out = [`${where}, compression ${e.compression}, timeout ${formatDuration(e.timeoutMs)}, max_in_flight ${e.maxInFlight}, ${retry}`];
  if (e.tls.insecureSkipVerify) out.push('tls: certificate NOT verified (insecure_skip_verify)');
  for (const name of Object.keys(e.headers)) out.push(`${name}: <redacted>`);
  return out.join('\n    ');
}

/** An HTTP exporter needs a URL for the pipeline's signal. */
export function httpSignalProblem(e: ExporterConfig, signal: Signal): string | undefined {
  return e.endpoint === '' && e.signalEndpoints[signal] === undefined ? `has no endpoint for ${signal} (set endpoint or ${signal}_endpoint)` : undefined;
}
