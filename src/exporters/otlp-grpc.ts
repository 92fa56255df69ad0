import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { checkExporterLimits, USER_AGENT, type ExportOutcome, type Exporter, type ExporterFactory } from './exporter.js';
import { describeExporter, EXPORTER_KEYS, parseExporter, type ExporterConfig } from './exporter-config.js';
import { grpcExportError, type GrpcStatusLike } from './grpc-status.js';
import { FramedMessages } from './grpc-framing.js';
import { installGzipFrames } from './grpc-gzip-frames.js';
import { gzipped, rawBody, type RequestBody } from './gzip-body.js';
import { parseProtoResponse } from './partial-success.js';
import { RetryPolicy, type Accepted } from './retry.js';
import { ThrottledWarn, warnOutcome } from './throttled-warn.js';
import { normalizeHeaders } from './headers.js';
import { grpcCredentials } from './tls.js';

/** Request bytes are already encoded: grpc-js must pass them through untouched. */
const identity = (b: Buffer): Buffer => b;

/**
 * `http://host:port` and `https://host:port/` are accepted as in the Collector; grpc-js
 * wants `host:port`. `dns:///host:port` is passed on as it is (grpc-js resolves it).
 */
export function grpcTarget(endpoint: string, exporterId: string): string {
  const dns = /^dns:\/\/\/(.+)$/i.exec(endpoint.trim());
  const target = dns ? dns[1]! : endpoint.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
  if (target === '' || target.includes('/')) {
    throw new ConfigError([{ path: `exporters.${exporterId}.endpoint`, message: `expected host:port or dns:///host:port, got "${endpoint}"` }]);
  }
  return dns ? `dns:///${target}` : target;
}

/** One grpc-js channel (its own HTTP/2 connection) and the calls it carries now. */
interface Connection {
  client: grpc.Client;
  inFlight: number;
}

/** OTLP over gRPC (unary Export calls) on `connections` grpc-js channels. */
export class OtlpGrpcExporter implements Exporter {
  readonly id: string;
  readonly encoding = 'proto' as const;
  readonly maxInFlight: number;
  readonly #connections: Connection[];
  readonly #metadata: grpc.Metadata;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #warn: ThrottledWarn;
  /** The gzip level when this exporter compresses; undefined without compression. */
  readonly #gzipLevel: number | undefined;
  /** Set without compression: messages are framed here, into reused buffers. */
  readonly #framed: FramedMessages | undefined;
  #turn = 0;

  constructor(cfg: ExporterConfig, log: Logger) {
    if (cfg.type !== 'otlp_grpc') throw new TypeError(`OtlpGrpcExporter got exporter type ${cfg.type}`);
    checkExporterLimits(cfg);
    this.id = cfg.id;
    this.maxInFlight = cfg.maxInFlight;
    this.#timeoutMs = cfg.timeoutMs;
    this.#retry = new RetryPolicy(cfg.retryOnFailure);
    const target = grpcTarget(cfg.endpoint, cfg.id);
    const log2 = log.child({ exporter: cfg.id });
    this.#warn = new ThrottledWarn(log2);

    this.#metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(normalizeHeaders(cfg.headers, cfg.id))) this.#metadata.set(k, v);

    const credentials = grpcCredentials(cfg.tls, cfg.id, log2);
    const options = channelOptions(cfg);
    // Each channel has its own subchannel pool (grpc.use_local_subchannel_pool), so channels
    // with equal options still open a connection each.
    this.#connections = Array.from({ length: cfg.connections }, () => ({ client: new grpc.Client(target, credentials, options), inFlight: 0 }));
    // Gzip messages too: a fresh buffer per message made the garbage collector 6 % of the sender's work.
    if (FramedMessages.install(this.#connections.map((c) => c.client))) this.#framed = new FramedMessages(cfg.maxInFlight);
    if (cfg.compression === 'gzip') {
      // We compress (off the event loop, or stamped) and frame gzip messages ourselves.
      if (!this.#connections.every((c) => installGzipFrames(c.client))) throw new TypeError('this @grpc/grpc-js version has no channel filter stack: gzip cannot be sent');
      this.#gzipLevel = cfg.compressionLevel;
    }
  }

  async export(signal: Signal, body: RequestBody, abort?: AbortSignal, onRetry?: () => void): Promise<ExportOutcome> {
    const buf = this.#gzipLevel === undefined ? rawBody(body, this.id) : await gzipped(body, this.#gzipLevel);
    if (!Buffer.isBuffer(buf)) return buf;
    const path = SIGNALS[signal].grpcPath;
    const message = this.#framed ? this.#framed.frame(buf, this.#gzipLevel !== undefined) : buf;
    const outcome = await this.#retry.run((a) => this.#attempt(path, message, buf.length, a), abort, {
      onRetry,
      onAttemptFailed: (err, attempt, delayMs) => {
        this.#warn.warn(`attempt:${err.code}`, { signal, code: err.code, attempt, retry_in_ms: delayMs === null ? null : Math.round(delayMs), reason: err.message },
          delayMs === null ? 'export attempt failed; giving up at max_elapsed_time' : 'export attempt failed; retrying');
      },
    });
    if (this.#framed && outcome.status === 'sent' && outcome.retries === 0) this.#framed.recycle(message);
    warnOutcome(this.#warn, signal, outcome);
    return outcome;
  }

  /**
   * `message`: the body (gzip already applied), or with FramedMessages the body already
   * framed; `bodyBytes`: the body's length, which is what goes on the wire.
   */
  #attempt(path: string, message: Buffer, bodyBytes: number, abort: AbortSignal | undefined): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      // grpc-js adds its own headers to the metadata it is given, so each call gets a copy.
      const metadata = this.#metadata.clone();
      const connection = this.#pick();
      connection.inFlight++;
      const call = connection.client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        message,
        metadata,
        { deadline: Date.now() + this.#timeoutMs },
        (err, res) => {
          connection.inFlight--;
          abort?.removeEventListener('abort', onAbort);
          if (err) reject(grpcExportError(err as GrpcStatusLike));
          else resolve({ ...(res ? parseProtoResponse(res) : { rejected: 0 }), wireBytes: bodyBytes });
        },
      );
      const onAbort = () => call.cancel();
      abort?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The connection with the fewest calls in flight, taking turns among equals: requests
   * spread evenly, and a connection slowed by a large request gets the next one last.
   */
  #pick(): Connection {
    const all = this.#connections;
    const start = this.#turn++ % all.length;
    let best = all[start]!;
    for (let i = 1; i < all.length && best.inFlight > 0; i++) {
      const c = all[(start + i) % all.length]!;
      if (c.inFlight < best.inFlight) best = c;
    }
    return best;
  }

  async close(): Promise<void> {
    for (const c of this.#connections) c.client.close();
  }
}

function channelOptions(cfg: ExporterConfig): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    // Frames can be tens of MiB; the endpoint enforces its own limit.
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
    'grpc.keepalive_time_ms': cfg.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': cfg.keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': cfg.keepalive.permitWithoutStream ? 1 : 0,
    'grpc.primary_user_agent': USER_AGENT,
    // grpc-js backs reconnects off up to 120 s by default: a restarted endpoint would sit
    // idle that long while our retries fail fast with UNAVAILABLE.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 5_000,
    // Our own channel per exporter: two exporters to one endpoint must not share a connection.
    'grpc.use_local_subchannel_pool': 1,
  };
  // grpc-js picks pick_first unless a service config names another policy.
  if (cfg.balancerName !== 'pick_first') options['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ [cfg.balancerName]: {} }] });
  if (cfg.tls.serverNameOverride) options['grpc.ssl_target_name_override'] = cfg.tls.serverNameOverride;
  return options;
}

export const otlpGrpcExporter: ExporterFactory = {
  type: 'otlp_grpc',
  aliases: ['otlp'],
  doc: 'OTLP over gRPC (alias otlp), via @grpc/grpc-js.',
  keys: EXPORTER_KEYS.otlp_grpc,
  parse: (raw, ctx) => parseExporter('otlp_grpc', raw, ctx),
  describe: describeExporter,
  signalProblem: () => undefined,
  create: (cfg, log) => new OtlpGrpcExporter(cfg, log),
};
