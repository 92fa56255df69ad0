import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { formatHostPort, listen } from '../host-port.js';
import type { Logger } from '../log.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from '../otlp/signals.js';
import { parseGrpcTimeout } from './client-deadline.js';
import { encodeStatus } from './faults.js';
import { ReceiveBufferPool, MessageReader, percentEncode } from './grpc-message.js';
import type { BadRequestError } from '../errors.js';
import { REFUSAL_STATUS, type Intake } from './intake.js';
import type { StreamingCount } from './streaming-count.js';
import { gunzipRequest, type Inflated } from './gunzip.js';
import { readServerTls, splitHostPort, type ServerOptions } from './server-options.js';
import { createHttp2Server } from './http2/server.js';
import type { HeaderField } from './http2/hpack.js';
import type { ServerStream } from './http2/server-stream.js';

/**
 * OTLP/gRPC on the sink's own HTTP/2 server (./http2). A unary call is small enough to
 * speak by hand (one length-prefixed message in; headers, one message and a `grpc-status`
 * trailer out). Owning the connection lets the sink open flow control (with grpc-js's
 * server a 3 MiB request crawls through a 64 KiB window, one WINDOW_UPDATE round trip per
 * 64 KiB) and read each request where the socket put it: node:http2 copied every read and
 * called into JavaScript once per 16 KiB DATA frame, a third more CPU per MB than HTTP.
 */

const MAX_MESSAGE = 64 * 1024 * 1024;
/** Per stream: a whole 1–4 MiB request fits, so a sender never waits for a WINDOW_UPDATE mid-message. */
const STREAM_WINDOW = 8 * 1024 * 1024;
/** Per connection: several such requests in flight at once. */
const CONNECTION_WINDOW = 32 * 1024 * 1024;
/** Calls in flight on one connection; each holds at most one message (MAX_MESSAGE) in memory. */
const MAX_CONCURRENT_CALLS = 256;
/** gRPC metadata is small; this bounds what one call's header block may hold in memory. */
const MAX_HEADER_BLOCK = 64 * 1024;

const PATHS = new Map<string, Signal>(SIGNAL_NAMES.map((s) => [SIGNALS[s].grpcPath, s]));
const inflateAsync = promisify(inflate);
const DECOMPRESS = new Map<string, (b: Buffer, pool: ReceiveBufferPool, signal: Signal) => Promise<Inflated>>([
  ['gzip', (b, pool, signal) => gunzipRequest(b, MAX_MESSAGE, pool, signal)],
  ['deflate', async (b) => ({ bytes: await inflateAsync(b, { maxOutputLength: MAX_MESSAGE }) })],
]);
const ACCEPT_ENCODING = 'identity,deflate,gzip';
/** An empty Export*ServiceResponse: uncompressed flag, zero length. */
const EMPTY_RESPONSE = Buffer.alloc(5);

export interface GrpcSink {
  /** host:port actually bound. */
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(address: string, receiver: Intake, opts: ServerOptions): Promise<GrpcSink> {
  const { host, port } = splitHostPort(address);
  // Enough idle buffers for a few connections' worth of in-flight 4 MiB requests.
  const pool = new ReceiveBufferPool(64 * 1024 * 1024);
  const h2 = createHttp2Server({
    streamWindow: STREAM_WINDOW,
    connectionWindow: CONNECTION_WINDOW,
    maxConcurrentStreams: MAX_CONCURRENT_CALLS,
    maxHeaderBlock: MAX_HEADER_BLOCK,
    tls: opts.tls ? await readServerTls(opts.tls) : undefined,
    log: opts.log,
    onStream: (stream) => serve(stream, { receiver, pool, log: opts.log }),
  });
  const bound = await listen(h2.server, host, port, { code: 'ERR_SINK_LISTEN', setting: opts.setting });
  // In-flight calls finish; a client that keeps its stream open gets a second.
  return { address: formatHostPort(host, bound), close: () => h2.close(1000) };
}

/** What every call on one server shares. */
interface Shared {
  receiver: Intake;
  pool: ReceiveBufferPool;
  log: Logger | undefined;
}

function serve(stream: ServerStream, shared: Shared): void {
  const { receiver, pool, log } = shared;
  const headers = stream.headers;
  // The client's deadline runs from when it sent the call; the earliest the call can have arrived is our best bound.
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
  const arrivedAt = receiver.loop.arrival();
  const deadline = timeoutMs === undefined ? Infinity : arrivedAt + timeoutMs;
  // An answer before the request has all arrived tells the client to stop sending it.
  if (headers[':method'] !== 'POST') return stream.respond([[':status', '405'], ['allow', 'POST']], true);
  if (!(headers['content-type'] ?? '').startsWith('application/grpc')) return stream.respond([[':status', '415']], true);
  const signal = PATHS.get(headers[':path'] ?? '');
  if (!signal) return sendStatus(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${headers[':path']}`);
  const encoding = headers['grpc-encoding'] ?? 'identity';
  if (encoding !== 'identity' && !DECOMPRESS.has(encoding)) {
    return sendStatus(stream, GrpcStatus.UNIMPLEMENTED, `unsupported grpc-encoding "${encoding}"; expected ${ACCEPT_ENCODING}`);
  }
  const reader = new MessageReader(MAX_MESSAGE, pool, signal, receiver.keepsBodies);
  stream.onData = (chunk) => {
    // The chunk lies in the socket's read buffer: push() copies or counts it before returning.
    if (!reader.tooLarge) reader.push(chunk);
  };
  stream.onEnd = () => {
    const call = new Call(stream, signal, encoding, receiver, pool, log, arrivedAt, deadline);
    complete(call, reader).catch((err: unknown) => {
      log?.error({ err }, 'sink: gRPC handler failed');
      sendStatus(stream, GrpcStatus.INTERNAL, 'internal error');
    });
  };
}

/** One call whose request has been read; every answer waits for the injected delay first. */
class Call {
  constructor(
    readonly stream: ServerStream,
    readonly signal: Signal,
    readonly encoding: string,
    readonly receiver: Intake,
    readonly pool: ReceiveBufferPool,
    readonly log: Logger | undefined,
    /** performance.now() when the call arrived (LoopWatch.arrival()). */
    readonly arrivedAt: number,
    /** performance.now() after which the client has given up (grpc-timeout); Infinity without one. */
    readonly deadline: number,
  ) {}

  /**
   * Answers success and counts the request (unless the tee refuses it: then the refusal),
   * unless its client has given up by now: then
   * it is counted as late (the client sends it again) and answered DEADLINE_EXCEEDED in
   * case the stream is still open. `body` (`length` bytes, or empty when it was counted
   * without being kept) is handed on; `recycle` (for a pooled body) gets it back once
   * nothing needs it any more.
   */
  ok(events: number, body: Buffer, length: number, recycle?: (b: Buffer) => void): void {
    const held = this.receiver.hold(this.signal, 'proto', body, events);
    if ('refused' in held) {
      recycle?.(body);
      return this.status(REFUSAL_STATUS[held.refused].grpc, held.message);
    }
    this.receiver.beforeSuccess(() => {
      const { stream, receiver, signal } = this;
      if (performance.now() > this.deadline || !stream.open) {
        held.release();
        receiver.late(signal);
        recycle?.(body);
        return sendStatus(stream, GrpcStatus.DEADLINE_EXCEEDED, 'the call\'s deadline passed before the sink answered; not counted');
      }
      // The answer goes out first: counting and verifying must not delay it past the deadline.
      sendOk(stream);
      held.commit();
      receiver.count(signal, 'proto', events, length, this.arrivedAt, body, recycle);
    });
  }

  status(code: number, message: string, details?: Buffer): void {
    this.receiver.faults.afterDelay(() => sendStatus(this.stream, code, message, details));
  }
}

/** The request is fully read: decide the fault, decompress, read, answer. */
async function complete(call: Call, reader: MessageReader): Promise<void> {
  const { receiver, signal } = call;
  if (reader.tooLarge) {
    receiver.rejectInvalid(signal);
    return call.status(GrpcStatus.RESOURCE_EXHAUSTED, `message of ${reader.declaredLength} bytes is larger than ${MAX_MESSAGE}`);
  }
  const read = reader.finish();
  if ('problem' in read) {
    receiver.rejectInvalid(signal);
    return call.status(GrpcStatus.INTERNAL, read.problem);
  }
  // The pooled message goes back once nothing points into it: after decompression, or once verified.
  let handedOn = false;
  try {
    handedOn = await accept(call, read.message, read.length, reader.compressed, read.count);
  } finally {
    if (!handedOn) call.pool.give(read.message);
  }
}

/**
 * Returns true when `message` itself was handed on to the answer (which gives it back).
 * `length`: the message's bytes (`message` is empty when it was counted without being kept).
 * `count`: the message's events, counted as it arrived (uncompressed messages).
 */
async function accept(call: Call, message: Buffer, length: number, compressed: boolean, count: StreamingCount | undefined): Promise<boolean> {
  const { receiver, signal, encoding } = call;
  if (compressed && encoding === 'identity') {
    receiver.rejectInvalid(signal);
    call.status(GrpcStatus.INTERNAL, 'message is flagged compressed but the call has no grpc-encoding');
    return false;
  }
  if (receiver.shouldFail(signal)) {
    const faults = receiver.faults;
    const text = `injected failure (${faults.failCode})`;
    const details = faults.retryAfterMs === undefined ? undefined : Buffer.from(encodeStatus(faults.grpcCode, text, faults.retryAfterMs));
    call.status(faults.grpcCode, text, details);
    return false;
  }
  let body = message;
  let inflated: Inflated | undefined;
  if (compressed) {
    try {
      inflated = await DECOMPRESS.get(encoding)!(message, call.pool, signal);
      body = inflated.bytes;
    } catch (err) {
      receiver.rejectInvalid(signal);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        call.status(GrpcStatus.RESOURCE_EXHAUSTED, `message larger than ${MAX_MESSAGE} bytes after ${encoding} decompression`);
      } else {
        call.status(GrpcStatus.INTERNAL, `malformed ${encoding} message: ${(err as Error).message}`);
      }
      return false;
    }
  }
  let events: number;
  try {
    events = receiver.read(signal, body, 'proto', inflated ? inflated.count : count);
  } catch (err) {
    // read() only throws BadRequestError.
    const text = (err as BadRequestError).message;
    call.log?.debug({ signal, err: text }, 'sink: rejected malformed gRPC request');
    call.status(GrpcStatus.INVALID_ARGUMENT, text);
    return false;
  }
  const waitMs = receiver.throttle(signal, events);
  if (waitMs !== undefined) {
    const text = `over the sink's limit of ${receiver.maxRate} events/s (--max-rate)`;
    call.status(GrpcStatus.RESOURCE_EXHAUSTED, text, Buffer.from(encodeStatus(GrpcStatus.RESOURCE_EXHAUSTED, text, waitMs)));
    return false;
  }
  if (inflated) {
    // Decompressed into a buffer of its own; the pooled message goes back now (in complete()).
    call.ok(events, body, body.length, inflated.recycle);
    return false;
  }
  // Small messages are not pooled (and may share Node's Buffer slab): nothing to give back.
  call.ok(events, body, length, body.length >= ReceiveBufferPool.MIN_POOLED ? (b) => call.pool.give(b) : undefined);
  return true;
}

const OK_HEADERS: HeaderField[] = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-accept-encoding', ACCEPT_ENCODING]];
const OK_TRAILERS: HeaderField[] = [['grpc-status', '0']];

function sendOk(stream: ServerStream): void {
  if (!stream.open || stream.headersSent) return;
  stream.respond(OK_HEADERS);
  stream.data(EMPTY_RESPONSE);
  stream.trailers(OK_TRAILERS);
}

/** A Trailers-Only response: one HEADERS frame carrying the status, no message. */
function sendStatus(stream: ServerStream, code: number, message: string, details?: Buffer): void {
  if (!stream.open || stream.headersSent) return;
  stream.respond([
    [':status', '200'],
    ['content-type', 'application/grpc'],
    ['grpc-accept-encoding', ACCEPT_ENCODING],
    ['grpc-status', String(code)],
    ['grpc-message', percentEncode(message)],
    ...(details ? [['grpc-status-details-bin', details.toString('base64')] as const] : []),
  ], true);
}
