import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import protobuf from 'protobufjs';
import type { ExporterConfig } from '../../src/exporters/exporter-config.js';
import type { Logger } from '../../src/log.js';
import { requestType, responseType } from '../../src/otlp/proto.js';
import { SIGNALS, SIGNAL_NAMES, type Signal } from '../../src/otlp/signals.js';

/** One scripted response. Unset fields mean "plain success". */
export interface Reply {
  /** Wait this long before answering. */
  delayMs?: number;
  /** HTTP: destroy the socket instead of answering. */
  drop?: boolean;
  /** partial_success: rejected count and error message. */
  rejected?: number;
  message?: string;
  /** JSON responses: send the rejected count as a string (int64 in OTLP/JSON). */
  rejectedAsString?: boolean;
  /** gRPC: fail with this status code; `retryDelayMs` adds a RetryInfo detail. */
  grpcCode?: number;
  retryDelayMs?: number;
  /** HTTP: answer with this status; `retryAfter` sets the header; `body` the body (also of a 2xx), of type `contentType`. */
  httpStatus?: number;
  retryAfter?: string;
  body?: string;
  contentType?: string;
  /** gRPC: answer OK with these response message bytes instead of an Export*ServiceResponse. */
  responseBytes?: Buffer;
}

/** What the endpoint saw. `body` is decompressed; `rawBody` is what came off the wire. */
export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  rawBody: Buffer;
  at: number;
}

export interface FakeEndpointOptions {
  /** Listen on this port (default 0 = any free port). */
  port?: number;
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean };
}

/** google.rpc.Status bytes with an optional RetryInfo detail, as a real endpoint sends in grpc-status-details-bin. */
export function encodeStatus(code: number, message: string, retryDelayMs?: number): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(8).int32(code);
  w.uint32(18).string(message);
  if (retryDelayMs !== undefined) {
    w.uint32(26).fork();
    w.uint32(10).string('type.googleapis.com/google.rpc.RetryInfo');
    w.uint32(18).fork();
    w.uint32(10).fork();
    w.uint32(8).int64(Math.floor(retryDelayMs / 1000));
    w.uint32(16).int32((retryDelayMs % 1000) * 1e6);
    w.ldelim().ldelim().ldelim();
  }
  return Buffer.from(w.finish());
}

function partialSuccessProto(signal: Signal, r: Reply): Buffer {
  if (r.rejected === undefined && r.message === undefined) return Buffer.alloc(0);
  const type = responseType(signal);
  const msg = type.fromObject({ partialSuccess: { [SIGNALS[signal].rejectedField]: r.rejected ?? 0, errorMessage: r.message ?? '' } });
  return Buffer.from(type.encode(msg).finish());
}

function partialSuccessJson(signal: Signal, r: Reply): string {
  if (r.rejected === undefined && r.message === undefined) return '{}';
  const n = r.rejected ?? 0;
  return JSON.stringify({
    partialSuccess: { [SIGNALS[signal].rejectedField]: r.rejectedAsString ? String(n) : n, errorMessage: r.message ?? '' },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

abstract class ScriptedEndpoint {
  readonly received: Received[] = [];
  #script: Reply[] = [];
  port = 0;

  /** Queues replies for the next requests, in order; after them every request succeeds. */
  script(...replies: Reply[]): void {
    this.#script.push(...replies);
  }

  protected next(): Reply {
    return this.#script.shift() ?? {};
  }

  /**
   * Aborts `ac` `afterMs` after the first request has arrived. A fixed timer from the start
   * of the export could fire before a loaded machine has even connected.
   */
  abortAfterFirstRequest(ac: AbortController, afterMs = 0): void {
    const poll = setInterval(() => {
      if (this.received.length === 0) return;
      clearInterval(poll);
      setTimeout(() => ac.abort(), afterMs);
    }, 5);
  }
}

export class FakeHttpEndpoint extends ScriptedEndpoint {
  readonly server: http.Server;

  private constructor(server: http.Server) {
    super();
    this.server = server;
  }

  static async start(opts: FakeEndpointOptions = {}): Promise<FakeHttpEndpoint> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => ep.#handle(req, res);
    const server = opts.tls
      ? https.createServer(
          { cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: opts.tls.requireClientCert, rejectUnauthorized: opts.tls.requireClientCert },
          handler,
        )
      : http.createServer(handler);
    const ep = new FakeHttpEndpoint(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', resolve);
    });
    ep.port = (server.address() as AddressInfo).port;
    return ep;
  }

  get url(): string {
    return `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody;
    this.received.push({ path: req.url ?? '', headers: req.headers, body, rawBody, at: performance.now() });
    const r = this.next();
    if (r.delayMs) await sleep(r.delayMs);
    if (r.drop) {
      req.socket.destroy();
      return;
    }
    if (r.httpStatus && r.httpStatus >= 300) {
      const headers: Record<string, string> = { 'content-type': r.contentType ?? 'text/plain' };
      if (r.retryAfter !== undefined) headers['retry-after'] = r.retryAfter;
      res.writeHead(r.httpStatus, headers).end(r.body ?? '');
      return;
    }
    if (r.body !== undefined) {
      res.writeHead(r.httpStatus ?? 200, { 'content-type': r.contentType ?? 'text/plain' }).end(r.body);
      return;
    }
    const signal = SIGNAL_NAMES.find((s) => req.url?.endsWith(SIGNALS[s].httpPath)) ?? 'traces';
    if (req.headers['content-type'] === 'application/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(partialSuccessJson(signal, r));
    } else {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(partialSuccessProto(signal, r));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const identity = (b: Buffer): Buffer => b;

export class FakeGrpcEndpoint extends ScriptedEndpoint {
  readonly server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });

  static async start(opts: FakeEndpointOptions = {}): Promise<FakeGrpcEndpoint> {
    const ep = new FakeGrpcEndpoint();
    for (const signal of SIGNAL_NAMES) {
      ep.server.register<Buffer, Buffer>(
        SIGNALS[signal].grpcPath,
        (call, cb) => void ep.#handle(signal, call, cb),
        identity,
        identity,
        'unary',
      );
    }
    const creds = opts.tls
      ? grpc.ServerCredentials.createSsl(
          opts.tls.ca ?? null,
          [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }],
          opts.tls.requireClientCert ?? false,
        )
      : grpc.ServerCredentials.createInsecure();
    ep.port = await new Promise<number>((resolve, reject) =>
      ep.server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, creds, (err, port) => (err ? reject(err) : resolve(port))),
    );
    return ep;
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  async #handle(signal: Signal, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): Promise<void> {
    const headers = call.metadata.getMap() as Record<string, string>;
    this.received.push({ path: SIGNALS[signal].grpcPath, headers, body: call.request, rawBody: call.request, at: performance.now() });
    const r = this.next();
    if (r.delayMs) await sleep(r.delayMs);
    if (r.grpcCode) {
      const metadata = new grpc.Metadata();
      metadata.set('grpc-status-details-bin', encodeStatus(r.grpcCode, r.message ?? 'scripted failure', r.retryDelayMs));
      cb({ code: r.grpcCode, details: r.message ?? 'scripted failure', metadata });
      return;
    }
    cb(null, r.responseBytes ?? partialSuccessProto(signal, r));
  }

  async close(): Promise<void> {
    this.server.forceShutdown();
  }
}

/** An exporter config with short timeouts and retry intervals, for tests. */
export function testExporterConfig(overrides: Partial<ExporterConfig> & Pick<ExporterConfig, 'type' | 'endpoint'>): ExporterConfig {
  return {
    id: `${overrides.type}/test`,
    signalEndpoints: {},
    encoding: 'proto',
    tls: { insecure: true, insecureSkipVerify: false },
    headers: {},
    compression: 'none',
    compressionLevel: 1,
    compressionStamped: true,
    timeoutMs: 2000,
    maxInFlight: 4,
    balancerName: 'pick_first',
    connections: 1,
    keepalive: { timeMs: 30_000, timeoutMs: 10_000, permitWithoutStream: false },
    ...overrides,
    retryOnFailure: {
      enabled: true,
      initialIntervalMs: 20,
      maxIntervalMs: 50,
      maxElapsedTimeMs: 3000,
      multiplier: 1.5,
      randomizationFactor: 0,
      ...overrides.retryOnFailure,
    },
  };
}

/** A pino logger writing JSON lines into an array, to assert on what gets logged. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

/** A real encoded ExportTraceServiceRequest with `spans` spans. */
export function traceRequest(spans = 3): Buffer {
  const type = requestType('traces');
  const msg = type.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: Buffer.alloc(16, 1),
              spanId: Buffer.alloc(8, i + 1),
              name: `span-${i}`,
              startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
              endTimeUnixNano: 1_700_000_000_100_000_000n.toString(),
            })),
          },
        ],
      },
    ],
  });
  return Buffer.from(type.encode(msg).finish());
}
