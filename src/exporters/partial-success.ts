import { WireError } from '../errors.js';
import type { Logger } from '../log.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import { WireReader } from '../otlp/wire/reader.js';
import type { ExportOutcome } from './exporter.js';
import { ABORTED_CODE, type Accepted } from './retry.js';

const NONE: Accepted = Object.freeze({ rejected: 0 }) as Accepted;
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
export function parseProtoResponse(buf: Uint8Array): Accepted {
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
    return { rejected: 0, message: `unreadable response body: ${err.message}` };
  }
}

/** Reads partialSuccess from an OTLP/JSON response; counts may be strings (int64) or numbers. */
export function parseJsonResponse(signal: Signal, text: string): Accepted {
  if (text.trim() === '') return NONE;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { rejected: 0, message: `unreadable JSON response body: ${truncateMessage(text)}` };
  }
  const ps = (doc as { partialSuccess?: Record<string, unknown> } | null)?.partialSuccess;
  if (!ps || typeof ps !== 'object') return NONE;
  const raw = ps[SIGNALS[signal].rejectedField];
  const rejected = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : 0;
  const msg = typeof ps.errorMessage === 'string' && ps.errorMessage !== '' ? truncateMessage(ps.errorMessage) : undefined;
  if (rejected === 0 && !msg) return NONE;
  return msg ? { rejected, message: msg } : { rejected };
}

/**
 * Logs a recurring condition (rejections, failures) at most once per interval with the
 * count since the last line, so a misbehaving endpoint cannot flood the log.
 */
export class ThrottledWarn {
  readonly #log: Logger;
  readonly #intervalMs: number;
  #last = -Infinity;
  #suppressed = 0;

  constructor(log: Logger, intervalMs = 10_000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  warn(fields: Record<string, unknown>, msg: string): void {
    const now = performance.now();
    if (now - this.#last < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#log.warn({ ...fields, suppressed: this.#suppressed }, msg);
    this.#last = now;
    this.#suppressed = 0;
  }
}

/**
 * Warns about a request that failed or had items rejected; an abort is our own doing
 * (drain deadline, forced exit) and stays quiet. `url` is added to failures when known.
 */
export function warnOutcome(warn: ThrottledWarn, signal: Signal, outcome: ExportOutcome, url?: string): void {
  if (outcome.status === 'failed' && outcome.code !== ABORTED_CODE) {
    const where = url === undefined ? { signal } : { signal, url };
    warn.warn({ ...where, code: outcome.code, retries: outcome.retries, reason: outcome.message }, 'export failed');
  } else if (outcome.rejected > 0) {
    warn.warn({ signal, rejected: outcome.rejected, reason: outcome.message }, 'endpoint rejected items (partial success)');
  }
}
