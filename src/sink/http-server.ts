import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import { encodeStatus } from './faults.js';
import { formatHostPort, listen } from '../host-port.js';
import type { BadRequestError } from '../errors.js';
import type { Encoding } from '../otlp/signals.js';
import { ReceiveBufferPool } from './grpc-message.js';
import { REFUSAL_STATUS, type Intake } from './intake.js';
import { StreamingCount } from './streaming-count.js';
import { gunzipRequestSync } from './gunzip.js';
import { readServerTls, splitHostPort, type ServerOptions } from './server-options.js';
import type { Http1Request, Http1Response } from './http1/exchange.js';
import { createHttp1Server } from './http1/server.js';

/**
 * OTLP/HTTP on the sink's own HTTP/1.1 server (./http1): node:http copied every body chunk
 * out of the socket's reads (a fifth of the sink's CPU); here a body is counted where the
 * socket read it.
 */

/** The OTLP/HTTP spec's recommended body limit, applied before and after gunzip. */
const MAX_BODY = 64 * 1024 * 1024;

const PATHS = new Map<string, Signal>(SIGNAL_NAMES.map((s) => [SIGNALS[s].httpPath, s]));
const CONTENT_TYPES: Record<Encoding, string> = { proto: 'application/x-protobuf', json: 'application/json' };
const OK_BODY: Record<Encoding, Buffer> = { proto: Buffer.alloc(0), json: Buffer.from('{}') };
/** What a body counted without being kept leaves for the tee and the verifier, which are then absent. */
const NO_BODY = Buffer.alloc(0);

export interface HttpSink {
  address: string;
  close(): Promise<void>;
}

export async function startHttpServer(address: string, receiver: Intake, opts: ServerOptions): Promise<HttpSink> {
  const { host, port } = splitHostPort(address);
  // Enough idle buffers for a few connections' worth of in-flight 4 MiB requests.
  const pool = new ReceiveBufferPool(64 * 1024 * 1024);
  const onRequest = (req: Http1Request, res: Http1Response): void => {
    handle(req, res, receiver, pool, opts.log).catch((err: unknown) => {
      // A client that hangs up mid-body is its own problem, not the sink's.
      if (req.aborted) opts.log?.debug({ err }, 'sink: HTTP request aborted');
      else opts.log?.error({ err }, 'sink: HTTP handler failed');
      reply(res, 500, 'proto', GrpcStatus.INTERNAL, 'internal error');
    });
  };
  const h1 = createHttp1Server({ onRequest, tls: opts.tls ? await readServerTls(opts.tls) : undefined, log: opts.log });
  const bound = await listen(h1.server, host, port, { code: 'ERR_SINK_LISTEN', setting: opts.setting });
  // Idle keep-alive connections end at once; one still answering gets a second.
  return { address: formatHostPort(host, bound), close: () => h1.close(1000) };
}

async function handle(req: Http1Request, res: Http1Response, receiver: Intake, pool: ReceiveBufferPool, log: Logger | undefined): Promise<void> {
  const arrivedAt = receiver.loop.arrival();
  // A client that gave up (its timeout) closes the connection (res.clientGone); it will send the request again.
  const signal = PATHS.get(req.url.split('?', 1)[0]!);
  if (!signal) return reply(res, 404, 'proto', GrpcStatus.NOT_FOUND, `unknown path ${req.url}; expected /v1/traces, /v1/metrics or /v1/logs`);
  if (req.method !== 'POST') return reply(res, 405, 'proto', GrpcStatus.UNIMPLEMENTED, `method ${req.method} not allowed; use POST`, { allow: 'POST' });
  const encoding = encodingOf(req.headers['content-type']);
  if (!encoding) {
    return reply(res, 415, 'proto', GrpcStatus.INVALID_ARGUMENT, `unsupported Content-Type "${req.headers['content-type'] ?? ''}"; expected application/x-protobuf or application/json`);
  }
  const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
    return reply(res, 415, encoding, GrpcStatus.INVALID_ARGUMENT, `unsupported Content-Encoding "${contentEncoding}"; expected gzip`);
  }
  const read = await readBody(req, pool, contentEncoding === 'identity' && encoding === 'proto' ? signal : undefined, receiver.keepsBodies);
  if (!read) {
    receiver.rejectInvalid(signal);
    return reply(res, 413, encoding, GrpcStatus.RESOURCE_EXHAUSTED, `body larger than ${MAX_BODY} bytes`, {}, true);
  }
  // A pooled body goes back once counted (and verified); one refused on the way is left to the GC.
  const { bytes: raw, length } = read;
  let { count, recycle } = read;
  const faults = receiver.faults;
  if (receiver.shouldFail(signal)) {
    const seconds = faults.retryAfterSeconds;
    return faults.afterDelay(() => {
      reply(res, faults.httpStatus, encoding, faults.grpcCode, `injected failure (${faults.failCode})`, seconds === undefined ? {} : { 'retry-after': seconds });
    });
  }
  let body = raw;
  if (contentEncoding === 'gzip') {
    try {
      // On this thread: see gunzipRequestSync for why HTTP/1.1 does not use the thread pool.
      const inflated = gunzipRequestSync(raw, MAX_BODY, pool);
      // Nothing points into the compressed body any more.
      recycle?.(raw);
      ({ bytes: body, count, recycle } = inflated);
    } catch (err) {
      receiver.rejectInvalid(signal);
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      if (tooLarge) return faults.afterDelay(() => reply(res, 413, encoding, GrpcStatus.RESOURCE_EXHAUSTED, `body larger than ${MAX_BODY} bytes after gunzip`));
      return faults.afterDelay(() => reply(res, 400, encoding, GrpcStatus.INVALID_ARGUMENT, `malformed gzip body: ${(err as Error).message}`));
    }
  }
  let events: number;
  try {
    events = receiver.read(signal, body, encoding, count);
  } catch (err) {
    // read() only throws BadRequestError.
    const message = (err as BadRequestError).message;
    log?.debug({ signal, err: message }, 'sink: rejected malformed HTTP request');
    return faults.afterDelay(() => reply(res, 400, encoding, GrpcStatus.INVALID_ARGUMENT, message));
  }
  const waitMs = receiver.throttle(signal, events);
  if (waitMs !== undefined) {
    // Retry-After counts whole seconds.
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    return faults.afterDelay(() => {
      reply(res, 429, encoding, GrpcStatus.RESOURCE_EXHAUSTED, `over the sink's limit of ${receiver.maxRate} events/s (--max-rate)`, { 'retry-after': retryAfter });
    });
  }
  const held = receiver.hold(signal, encoding, body, events);
  if ('refused' in held) {
    const status = REFUSAL_STATUS[held.refused];
    return faults.afterDelay(() => reply(res, status.http, encoding, status.grpc, held.message));
  }
  receiver.beforeSuccess(() => {
    if (res.clientGone) {
      held.release();
      return receiver.late(signal);
    }
    res.send(200, { 'content-type': CONTENT_TYPES[encoding] }, OK_BODY[encoding]);
    // After the answer: counting and verifying must not delay it.
    held.commit();
    receiver.count(signal, encoding, events, length, arrivedAt, body, recycle);
  });
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'proto';
  if (type === 'application/json') return 'json';
  return undefined;
}

interface Body {
  /** Empty for a body counted without being kept (see readKnownLength). */
  bytes: Buffer;
  /** Bytes the body had on the wire. */
  length: number;
  /** Set when the body was counted as it arrived (`countAs`). */
  count?: StreamingCount;
  /** Set for a pooled body: gives it back. */
  recycle?: (b: Buffer) => void;
}

/**
 * Reads the body; undefined as soon as it exceeds MAX_BODY (the connection reads and
 * discards the rest, so the 413 can still be delivered). A body of known length (Content-Length)
 * is copied into a pooled buffer as it arrives, and counted as `countAs` on the way
 * (see StreamingCount); otherwise chunks are collected and concatenated once.
 * `keep`: false when nothing reads the body once it is counted.
 */
function readBody(req: Http1Request, pool: ReceiveBufferPool, countAs: Signal | undefined, keep: boolean): Promise<Body | undefined> {
  const declared = req.contentLength;
  if (declared !== undefined && declared > MAX_BODY) return Promise.resolve(undefined);
  if (declared !== undefined && declared >= ReceiveBufferPool.MIN_POOLED) return readKnownLength(req, pool, declared, countAs, keep);
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    req.onData = (chunk) => {
      if (size > MAX_BODY) return;
      size += chunk.length;
      if (size <= MAX_BODY) {
        chunks.push(chunk);
        return;
      }
      chunks = [];
      resolve(undefined);
    };
    req.onEnd = () => resolve(size > MAX_BODY ? undefined : { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), length: size });
    req.onAbort = () => reject(new Error('the client closed the connection before the whole body arrived'));
  });
}

/**
 * A body of known length, counted as `countAs` chunk by chunk as it arrives. It is copied
 * into a pooled buffer, unless nothing reads it once counted (`keep` false) and its items
 * can be counted without it (spans and log records): then each chunk is walked where it
 * landed and none is kept, a copy less per byte.
 */
function readKnownLength(req: Http1Request, pool: ReceiveBufferPool, length: number, countAs: Signal | undefined, keep: boolean): Promise<Body> {
  return new Promise((resolve, reject) => {
    const bytes = keep || countAs === undefined || countAs === 'metrics' ? pool.take(length) : undefined;
    const count = bytes ? (countAs ? new StreamingCount(countAs, bytes) : undefined) : StreamingCount.withoutCopy(countAs as Exclude<Signal, 'metrics'>, length);
    let filled = 0;
    req.onData = (chunk) => {
      // The connection stops at Content-Length: a chunk never runs past it.
      if (bytes) {
        chunk.copy(bytes, filled);
        count?.advance(filled + chunk.length);
      } else {
        count!.push(chunk);
      }
      filled += chunk.length;
    };
    req.onEnd = () => resolve(bytes ? { bytes, length, count, recycle: (b) => pool.give(b) } : { bytes: NO_BODY, length, count });
    req.onAbort = () => reject(new Error(`the client closed the connection after ${filled} of the body's ${length} bytes`));
  });
}

/** An error body is a google.rpc.Status in the request's encoding, as OTLP/HTTP requires. */
function reply(res: Http1Response, httpStatus: number, encoding: Encoding, grpcCode: number, message: string, headers: Record<string, string | number> = {}, close = false): void {
  const body = encoding === 'json' ? Buffer.from(JSON.stringify({ code: grpcCode, message })) : Buffer.from(encodeStatus(grpcCode, message));
  res.send(httpStatus, { 'content-type': CONTENT_TYPES[encoding], ...headers }, body, close);
}
