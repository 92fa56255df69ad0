import { ExportError, WireError, type GrpcStatusName } from '../errors.js';
import { WireReader } from '../otlp/wire/reader.js';
import { truncateMessage } from './partial-success.js';
import { isTlsVerifyFailure } from './tls.js';

/** gRPC status code names by number; they double as our stable failure codes. */
const GRPC_CODE_NAMES: readonly GrpcStatusName[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

const RESOURCE_EXHAUSTED = 8;
/** Retryable per the OTLP spec (and the Collector's otlpexporter); RESOURCE_EXHAUSTED only with RetryInfo. */
const RETRYABLE = new Set([1, 4, 10, 11, 14, 15]);
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** What `grpc-status-details-bin` (a google.rpc.Status) says. */
export interface StatusDetails {
  message?: string;
  /** From a google.rpc.RetryInfo detail, when present. */
  retryDelayMs?: number;
}

/**
 * Reads google.rpc.Status { code 1, message 2, details 3: Any { type_url 1, value 2 } }
 * and, inside a RetryInfo Any, retry_delay 1: Duration { seconds 1, nanos 2 }.
 * Returns undefined for malformed bytes: a broken trailer must not hide the status itself.
 */
export function parseStatusDetails(bin: Uint8Array): StatusDetails | undefined {
  try {
    const out: StatusDetails = {};
    const r = new WireReader(bin);
    while (!r.done()) {
      const tag = r.tag();
      if (tag === ((2 << 3) | 2)) {
        const [s, e] = r.bytes();
        out.message = Buffer.from(bin.buffer, bin.byteOffset + s, e - s).toString('utf8');
      } else if (tag === ((3 << 3) | 2)) {
        const [s, e] = r.bytes();
        const delay = retryInfoDelay(bin, s, e);
        if (delay !== undefined) out.retryDelayMs = delay;
      } else {
        r.skip(tag & 7);
      }
    }
    return out;
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

/** The retry delay of an Any holding a RetryInfo, or undefined for any other Any. */
function retryInfoDelay(buf: Uint8Array, start: number, end: number): number | undefined {
  const r = new WireReader(buf, start, end);
  let typeUrl: string | undefined;
  let value: [number, number] | undefined;
  while (!r.done()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | 2)) {
      const [s, e] = r.bytes();
      typeUrl = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
    } else if (tag === ((2 << 3) | 2)) {
      value = r.bytes();
    } else {
      r.skip(tag & 7);
    }
  }
  if (typeUrl !== RETRY_INFO_TYPE) return undefined;
  if (!value) return 0;
  const info = new WireReader(buf, value[0], value[1]);
  let delayMs = 0;
  while (!info.done()) {
    const tag = info.tag();
    if (tag !== ((1 << 3) | 2)) {
      info.skip(tag & 7);
      continue;
    }
    const [s, e] = info.bytes();
    const d = new WireReader(buf, s, e);
    while (!d.done()) {
      const t = d.tag();
      if (t === ((1 << 3) | 0)) delayMs += d.varint() * 1000;
      else if (t === ((2 << 3) | 0)) delayMs += d.varint() / 1e6;
      else d.skip(t & 7);
    }
  }
  return delayMs;
}

/** The grpc-js error fields we use (a `ServiceError`). */
export interface GrpcStatusLike {
  code: number;
  details: string;
  metadata?: { get(key: string): (string | Buffer)[] };
}

/** Classifies a failed gRPC call the way the OTLP spec says a client must. */
export function grpcExportError(status: GrpcStatusLike): ExportError {
  const name = GRPC_CODE_NAMES[status.code] ?? `GRPC_${status.code}`;
  const bin = status.metadata?.get('grpc-status-details-bin')[0];
  const details = Buffer.isBuffer(bin) ? parseStatusDetails(bin) : undefined;
  const text = status.details || details?.message || name;
  const message = `gRPC ${name}: ${truncateMessage(text)}`;
  // grpc-js reports a failed TLS handshake as UNAVAILABLE; retrying cannot fix a certificate.
  if (status.code === 14 && isTlsVerifyFailure(text)) {
    return new ExportError('ERR_EXPORT_TLS', `TLS verification failed: ${truncateMessage(text)}`, { retryable: false });
  }
  if (status.code === RESOURCE_EXHAUSTED) {
    const delay = details?.retryDelayMs;
    return new ExportError(name, message, { retryable: delay !== undefined, retryAfterMs: delay });
  }
  const retryable = RETRYABLE.has(status.code);
  return new ExportError(name, message, { retryable, retryAfterMs: retryable ? details?.retryDelayMs : undefined });
}
