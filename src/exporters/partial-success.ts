import { WireError } from '../errors.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { WireReader } from '../otlp/wire/reader.js';

/** What a success response says: partial_success, or that its body could not be decoded. */
export interface ResponseSummary {
  rejected: number;
  message?: string;
  /** Why the body is not an Export*ServiceResponse; the endpoint still accepted the request. */
  unparsed?: string;
}

const NONE: ResponseSummary = Object.freeze({ rejected: 0 }) as ResponseSummary;
const MAX_MESSAGE = 512;

/** Endpoint messages end up in logs and outcomes: keep them one short line. */
export function truncateMessage(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

/**
 * Reads partial_success from an encoded Export*ServiceResponse without protobufjs:
 * response field 1 = partial_success { rejected_<items> 1 (int64), error_message 2 }.
 * An empty response (the common case) costs nothing.
 */
export function parseProtoResponse(buf: Uint8Array): ResponseSummary {
  if (buf.length === 0) return NONE;
  try {
    const r = new WireReader(buf);
    let rejected = 0;
    let message: string | undefined;
    while (!r.done()) {
      const tag = r.tag();
      if (tag !== ((1 << 3) | 2)) {
        r.skip(tag & 7);
        continue;
      }
      const [s, e] = r.bytes();
      const p = new WireReader(buf, s, e);
      while (!p.done()) {
        const t = p.tag();
        if (t === ((1 << 3) | 0)) rejected = p.varint();
        else if (t === ((2 << 3) | 2)) {
          const [ms, me] = p.bytes();
          message = Buffer.from(buf.buffer, buf.byteOffset + ms, me - ms).toString('utf8');
        } else p.skip(t & 7);
      }
    }
    if (rejected === 0 && !message) return NONE;
    return message ? { rejected, message: truncateMessage(message) } : { rejected };
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    // The endpoint accepted the request (status OK); only its response body is broken.
    return { rejected: 0, unparsed: `malformed protobuf response: ${err.message}` };
  }
}

/** Reads partialSuccess from an OTLP/JSON response; counts may be strings (int64) or numbers. */
export function parseJsonResponse(signal: Signal, text: string): ResponseSummary {
  if (text.trim() === '') return NONE;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { rejected: 0, unparsed: `not a JSON response: ${truncateMessage(text)}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { rejected: 0, unparsed: `JSON response is not an object: ${truncateMessage(text)}` };
  }
  const ps = (doc as { partialSuccess?: Record<string, unknown> }).partialSuccess;
  if (!ps || typeof ps !== 'object') return NONE;
  const raw = ps[SIGNALS[signal].rejectedField];
  const rejected = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : 0;
  const msg = typeof ps.errorMessage === 'string' && ps.errorMessage !== '' ? truncateMessage(ps.errorMessage) : undefined;
  if (rejected === 0 && !msg) return NONE;
  return msg ? { rejected, message: msg } : { rejected };
}
