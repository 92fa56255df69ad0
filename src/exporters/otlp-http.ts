import { Pool } from 'undici';
import { ConfigError, ExportError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import { checkExporterLimits, USER_AGENT, type ExportOutcome, type Exporter, type ExporterFactory } from './exporter.js';
import { describeExporter, EXPORTER_KEYS, parseExporter, type ExporterConfig, httpSignalProblem } from './exporter-config.js';
import { parseStatusDetails } from './grpc-status.js';
import { parseJsonResponse, parseProtoResponse, truncateMessage, type ResponseSummary } from './partial-success.js';
import { RetryPolicy, type Accepted } from './retry.js';
import { ThrottledWarn, warnOutcome } from './throttled-warn.js';
import { normalizeHeaders } from './headers.js';
import { gzipped, rawBody, type RequestBody } from './gzip-body.js';
import { httpConnectOptions, isTlsVerifyFailure } from './tls.js';

/** Retryable per the OTLP/HTTP spec; everything else non-2xx is permanent. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const TIMED_OUT = Symbol('timed out');
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

interface Target {
  pool: Pool;
  path: string;
  url: string;
}

/** Parses `Retry-After` (delta-seconds or HTTP-date) into ms; undefined when absent or malformed. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** OTLP/HTTP (proto or JSON) over keep-alive undici pools, one per origin. */
export class OtlpHttpExporter implements Exporter {
  readonly id: string;
  readonly encoding: 'proto' | 'json';
  readonly maxInFlight: number;
  /** Only signals with a URL: a pipeline never uses this exporter for another (checked at load). */
  readonly #targets: Partial<Record<Signal, Target>>;
  readonly #pools: Pool[] = [];
  readonly #headers: Record<string, string>;
  readonly #gzip: boolean;
  readonly #gzipLevel: number;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #warn: ThrottledWarn;

  constructor(cfg: ExporterConfig, log: Logger) {
    if (cfg.type !== 'otlp_http') throw new TypeError(`OtlpHttpExporter got exporter type ${cfg.type}`);
    const key = `exporters.${cfg.id}`;
    checkExporterLimits(cfg);
    this.id = cfg.id;
    this.encoding = cfg.encoding;
    this.maxInFlight = cfg.maxInFlight;
    this.#gzip = cfg.compression === 'gzip';
    this.#gzipLevel = cfg.compressionLevel;
    this.#timeoutMs = cfg.timeoutMs;
    this.#retry = new RetryPolicy(cfg.retryOnFailure);
    const childLog = log.child({ exporter: cfg.id });
    this.#warn = new ThrottledWarn(childLog);

    // Built once and shared by every request: undici does not mutate it.
    const headers = normalizeHeaders(cfg.headers, cfg.id);
    headers['content-type'] = cfg.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
    headers['user-agent'] = USER_AGENT;
    if (this.#gzip) headers['content-encoding'] = 'gzip';
    this.#headers = headers;

    let connect: ReturnType<typeof httpConnectOptions> | undefined;
    const pools = new Map<string, Pool>();
    const targets: Partial<Record<Signal, Target>> = {};
    for (const signal of SIGNAL_NAMES) {
      const override = cfg.signalEndpoints[signal];
      if (override === undefined && cfg.endpoint === '') continue;
      const url = parseUrl(override ?? joinPath(cfg.endpoint, SIGNALS[signal].httpPath), override ? `${key}.${signal}_endpoint` : `${key}.endpoint`);
      let pool = pools.get(url.origin);
      if (!pool) {
        if (url.protocol === 'https:') connect ??= httpConnectOptions(cfg.tls, cfg.id, childLog);
        pool = new Pool(url.origin, {
          connections: cfg.maxInFlight,
          pipelining: 1,
          keepAliveTimeout: 60_000,
          // Backstops only: each attempt is bounded by its own timer (see #attempt).
          headersTimeout: cfg.timeoutMs,
          bodyTimeout: cfg.timeoutMs,
          connect: { timeout: cfg.timeoutMs, ...(url.protocol === 'https:' ? connect : {}) },
        });
        pools.set(url.origin, pool);
        this.#pools.push(pool);
      }
      targets[signal] = { pool, path: url.pathname + url.search, url: url.origin + url.pathname };
    }
    this.#targets = targets;
  }

  async export(signal: Signal, body: RequestBody, abort?: AbortSignal, onRetry?: () => void): Promise<ExportOutcome> {
    const target = this.#targets[signal];
    if (!target) return { status: 'failed', rejected: 0, retries: 0, wireBytes: 0, code: 'ERR_EXPORT_INTERNAL', message: `exporter ${this.id} has no endpoint for ${signal}` };
    const buf = this.#gzip ? await gzipped(body, this.#gzipLevel) : rawBody(body, this.id);
    if (!Buffer.isBuffer(buf)) return buf;
    const outcome = await this.#retry.run((a) => this.#attempt(signal, target, buf, a), abort, {
      onRetry,
      onAttemptFailed: (err, attempt, delayMs) => {
        this.#warn.warn(`attempt:${err.code}`, { signal, url: target.url, code: err.code, attempt, retry_in_ms: delayMs === null ? null : Math.round(delayMs), reason: err.message },
          delayMs === null ? 'export attempt failed; giving up at max_elapsed_time' : 'export attempt failed; retrying');
      },
    });
    warnOutcome(this.#warn, signal, outcome, target.url);
    return outcome;
  }

  async #attempt(signal: Signal, target: Target, buf: Buffer, abort: AbortSignal | undefined): Promise<Accepted> {
    // undici's headers/body timers have ~1 s granularity; the attempt deadline is our own.
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(TIMED_OUT), this.#timeoutMs);
    const onAbort = () => ac.abort(abort?.reason);
    abort?.addEventListener('abort', onAbort, { once: true });
    let res;
    let bytes: Buffer;
    try {
      res = await target.pool.request({ path: target.path, method: 'POST', headers: this.#headers, body: buf, signal: ac.signal });
      bytes = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      if (ac.signal.reason === TIMED_OUT) {
        throw new ExportError('ERR_EXPORT_TIMEOUT', `no complete response within timeout ${this.#timeoutMs}ms`, { retryable: true });
      }
      throw transportError(err);
    } finally {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
    }
    const status = res.statusCode;
    const type = String(res.headers['content-type'] ?? '');
    if (status >= 200 && status < 300) return { ...readResponse(signal, bytes, type), wireBytes: buf.length };
    const retryable = RETRYABLE_STATUS.has(status);
    const message = `HTTP ${status}: ${errorBodyText(bytes, type) || 'no response body'}`;
    throw new ExportError(`HTTP_${status}`, message, {
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(res.headers['retry-after']) : undefined,
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }
}

/** The base endpoint plus the signal path, keeping any path prefix the endpoint has. */
function joinPath(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, '') + path;
}

function parseUrl(text: string, key: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError([{ path: key, message: `not a valid URL: "${text}"` }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError([{ path: key, message: `expected an http:// or https:// URL, got "${text}"` }]);
  }
  return url;
}

/** A success body in the encoding its content type names; an empty body is the common, fine case. */
function readResponse(signal: Signal, bytes: Buffer, type: string): ResponseSummary {
  if (bytes.length === 0) return { rejected: 0 };
  if (type.includes('json')) return parseJsonResponse(signal, bytes.toString('utf8'));
  if (type === '' || type.includes('protobuf')) return parseProtoResponse(bytes);
  return { rejected: 0, unparsed: `response of type "${truncateMessage(type)}" is not an OTLP response: ${truncateMessage(bytes.subarray(0, 200).toString('utf8'))}` };
}

/** OTLP error bodies carry a google.rpc.Status (proto) or its JSON form; otherwise show the text. */
function errorBodyText(bytes: Buffer, type: string): string {
  if (bytes.length === 0) return '';
  if (type.includes('protobuf')) {
    const st = parseStatusDetails(bytes);
    if (st?.message) return truncateMessage(st.message);
  }
  const text = bytes.toString('utf8');
  if (type.includes('json')) {
    try {
      const msg = (JSON.parse(text) as { message?: unknown } | null)?.message;
      if (typeof msg === 'string' && msg !== '') return truncateMessage(msg);
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  return truncateMessage(text);
}

/** Connection-level failures are retryable (as in the Collector), except certificate problems. */
function transportError(err: unknown): ExportError {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const text = e.cause?.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : String(e.message ?? err);
  if (isTlsVerifyFailure(text, code)) {
    return new ExportError('ERR_EXPORT_TLS', `TLS verification failed: ${truncateMessage(text)}`, { retryable: false, cause: err });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new ExportError('ERR_EXPORT_TIMEOUT', `timed out (${code}): ${truncateMessage(text)}`, { retryable: true, cause: err });
  }
  return new ExportError('ERR_EXPORT_CONNECTION', `connection failed${code ? ` (${code})` : ''}: ${truncateMessage(text)}`, {
    retryable: true,
    cause: err,
  });
}

export const otlpHttpExporter: ExporterFactory = {
  type: 'otlp_http',
  aliases: ['otlphttp'],
  doc: 'OTLP/HTTP with protobuf or JSON bodies (alias otlphttp), via undici.',
  keys: EXPORTER_KEYS.otlp_http,
  parse: (raw, ctx) => parseExporter('otlp_http', raw, ctx),
  describe: describeExporter,
  signalProblem: httpSignalProblem,
  create: (cfg, log) => new OtlpHttpExporter(cfg, log),
};
