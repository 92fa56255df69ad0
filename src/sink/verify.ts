import { decodeOtlpJson } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import { checkWire } from '../otlp/wire-check.js';
import { LINK_GRACE_MS, LinkCheck, type LinkKind } from './verify-links.js';
import { walkRequest } from './verify-wire.js';
import { ArrivalCheck, type ArrivalReport } from './verify-arrival.js';
import { type SeriesProblemKind, SeriesVerifier, type SeriesWindowReport } from './verify-series.js';
import type { Signal } from '../otlp/signals.js';
import { type DecodedRequest, walkDecoded } from './verify-decoded.js';
import { big, ctx, hex, hexKey, isZero, key, spanCtx } from './verify-ids.js';

export interface VerifyOptions {
  /** Timestamps must lie within now ± this. Default 1 h. */
  timeWindowMs?: number;
  /**
   * Span ids remembered for duplicate and parent checks. Two generations of N/2 ids
   * each: an id is always remembered for at least the N/2 most recent spans and at most
   * N. Default 2 million (≈ 150 MB at worst).
   */
  idWindow?: number;
  /** Examples kept per kind of problem. Default 20. */
  maxExamples?: number;
  /** Metric series remembered for the per-series checks (verify-series.ts). Default 500,000. */
  seriesWindow?: number;
  /**
   * Fraction of traces verified, chosen by trace id, so a trace is checked whole or not
   * at all (its parent links hold whichever requests carry it); logs without a trace id
   * and metrics are always checked. 1/N also checks every Nth request against the
   * schema. Default 1: everything.
   */
  sample?: number;
}

export type ProblemKind =
  | 'undecodable'
  | 'zero_trace_id' | 'bad_trace_id_length' | 'zero_span_id' | 'bad_span_id_length' | 'bad_parent_id_length'
  | 'duplicate_span_id' | 'orphan' | 'start_after_end' | 'time_out_of_window' | 'time_before_start'
  | LinkKind
  | SeriesProblemKind;

export interface ProblemExample {
  signal: Signal;
  message: string;
  traceId?: string;
  spanId?: string;
}

export interface VerifyReport {
  checked: Record<Signal, number>;
  problems: Partial<Record<ProblemKind, number>>;
  /** Orphans so far: parents not seen within the window, including ones that may still arrive. */
  pendingParents: number;
  /** Spans that log records and exemplars still wait for (their references count as orphan_log / orphan_exemplar too). */
  pendingLinks: number;
  examples: Partial<Record<ProblemKind, ProblemExample[]>>;
  /** When spans arrived relative to their end and their root (not problems: whole traces are sent before they end by design). */
  arrival: ArrivalReport;
  /** The per-series metric checks' memory: series tracked, its capacity, series evicted to stay within it. */
  series: SeriesWindowReport;
  policy: { idWindow: number; timeWindowMs: number; sample: number };
  /** Requests checked against the schema (all of them unless sampling). */
  schemaCheckedRequests: number;
  /** Spans and logs not checked because their trace was not in the sample. */
  unsampled: Record<Signal, number>;
  ok: boolean;
}

/** A fixed64 nanosecond time as its two 32-bit halves: exact, and no BigInt per value on the hot path. */
export interface Nanos {
  hi: number;
  lo: number;
}

const NS_PER_MS = 1_000_000;
const TWO_32 = 4294967296;

/**
 * Checks requests for the mistakes a replay tool can make: bad or repeated ids, broken
 * parent links, inverted or stale times. Memory is bounded by `idWindow`. Protobuf
 * bodies are checked against the schema and walked in place (verify-wire.ts); OTLP/JSON
 * is decoded first. Both feed the same checks.
 */
export class Verifier {
  readonly timeWindowMs: number;
  readonly idWindow: number;
  private readonly maxExamples: number;
  readonly sample: number;
  private readonly checked: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  private readonly unsampled: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  /** Trace ids whose first 4 bytes (big-endian) are below this are in the sample. */
  private readonly sampleBelow: number;
  /** Every this many-th request is checked against the schema. */
  private readonly schemaEvery: number;
  private requests = 0;
  private schemaChecked = 0;
  private readonly problems: Partial<Record<ProblemKind, number>> = {};
  private readonly examples: Partial<Record<ProblemKind, ProblemExample[]>> = {};
  /** span id (latin1 key) → trace id key; two generations form the sliding window. */
  private seen = new Map<string, string>();
  private seenOld = new Map<string, string>();
  /** trace key + parent span key → the first child waiting for that parent. */
  private pending = new Map<string, ProblemExample>();
  private pendingOld = new Map<string, ProblemExample>();
  /** Log records and exemplars whose span has not arrived (verify-links.ts). */
  private readonly links: LinkCheck;
  /** The time window of the request being checked, in ms since the epoch. */
  private windowLo = 0;
  private windowHi = 0;
  private readonly arrival: ArrivalCheck;
  private readonly series: SeriesVerifier;

  constructor(opts: VerifyOptions = {}) {
    this.timeWindowMs = opts.timeWindowMs ?? 3_600_000;
    this.idWindow = opts.idWindow ?? 2_000_000;
    this.maxExamples = opts.maxExamples ?? 20;
    if (!(this.timeWindowMs > 0)) throw new RangeError(`verify time window must be > 0 ms, got ${opts.timeWindowMs}`);
    if (!(Number.isInteger(this.idWindow) && this.idWindow >= 2)) throw new RangeError(`verify id window must be an integer ≥ 2, got ${opts.idWindow}`);
    const spanSeen = (traceKey: string, spanKey: string): boolean => (this.seen.get(spanKey) ?? this.seenOld.get(spanKey)) === traceKey;
    this.links = new LinkCheck(spanSeen, { maxWaiting: this.idWindow / 2, maxExamples: this.maxExamples });
    this.arrival = new ArrivalCheck(this.idWindow, this.maxExamples);
    this.series = new SeriesVerifier(opts.seriesWindow ?? 500_000, (kind, metric, message) => this.problem(kind, { signal: 'metrics', message: `${metric}: ${message}` }));
    this.sample = opts.sample ?? 1;
    if (!(this.sample > 0 && this.sample <= 1)) throw new RangeError(`verify sample must be in (0, 1], got ${opts.sample}`);
    this.sampleBelow = this.sample * TWO_32;
    this.schemaEvery = Math.max(1, Math.round(1 / this.sample));
  }

  /**
   * Whether the trace whose id is buf[start, end) is verified (see VerifyOptions.sample);
   * ids of another length always are. Counts the item as unsampled when it is not.
   */
  inSample(signal: Signal, buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.traceSampled(buf, start, end)) return true;
    this.unsampled[signal]++;
    return false;
  }

  private traceSampled(buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.sample === 1 || end - start !== 16) return true;
    return ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0 < this.sampleBelow;
  }

  /**
   * Checks one request body the sink accepted. A body that does not decode (a bad field
   * inside an item, a JSON id of the wrong length) is an `undecodable` problem.
   * `receivedAtMs`: when the sink received it (ms since the epoch), default now.
   */
  checkBody(signal: Signal, encoding: 'proto' | 'json', body: Uint8Array, receivedAtMs?: number): void {
    if (encoding === 'json') {
      let request: DecodedRequest;
      try {
        request = decodeOtlpJson(signal, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
      } catch (err) {
        return this.undecodable(signal, 'json', err);
      }
      return this.check(signal, request, receivedAtMs);
    }
    try {
      // The whole message against the schema, as a decode would; then only the checked fields are read.
      if (this.requests++ % this.schemaEvery === 0) {
        this.schemaChecked++;
        checkWire(body, requestType(signal));
      }
    } catch (err) {
      return this.undecodable(signal, 'proto', err);
    }
    this.beginRequest(receivedAtMs);
    walkRequest(this, signal, body);
    if (signal === 'metrics') this.series.checkRequest(body);
  }

  /** Checks a decoded request (protobufjs objects, or decodeOtlpJson's). */
  check(signal: Signal, request: DecodedRequest, receivedAtMs?: number): void {
    this.beginRequest(receivedAtMs);
    walkDecoded(this, signal, request);
    // The series checks read bytes: a decoded request (OTLP/JSON) is encoded once for them.
    if (signal === 'metrics') this.series.checkRequest(requestType(signal).encode(request).finish());
  }

  report(): VerifyReport {
    const orphans = (this.problems.orphan ?? 0) + this.pending.size + this.pendingOld.size;
    const links = this.links.report();
    const problems = { ...this.problems, ...(orphans ? { orphan: orphans } : {}), ...links.problems };
    const examples = { ...structuredClone(this.examples), ...links.examples };
    for (const ex of [...this.pendingOld.values(), ...this.pending.values()]) {
      const list = (examples.orphan ??= []);
      if (list.length < this.maxExamples) list.push(ex);
    }
    return {
      checked: { ...this.checked },
      problems,
      pendingParents: this.pending.size + this.pendingOld.size,
      pendingLinks: links.pendingLinks,
      examples,
      arrival: this.arrival.report(),
      series: this.series.report(),
      policy: { idWindow: this.idWindow, timeWindowMs: this.timeWindowMs, sample: this.sample },
      schemaCheckedRequests: this.schemaChecked,
      unsampled: { ...this.unsampled },
      ok: Object.values(problems).every((n) => !n),
    };
  }

  /** Times are checked against now ± the window, taken once per request. */
  beginRequest(receivedAtMs?: number): void {
    const now = Date.now();
    this.windowLo = now - this.timeWindowMs;
    this.windowHi = now + this.timeWindowMs;
    this.arrival.begin(receivedAtMs ?? now);
  }

  span(traceId: Uint8Array, spanId: Uint8Array, parentId: Uint8Array, start: Nanos, end: Nanos): void {
    if (!this.inSample('traces', traceId)) return;
    this.checked.traces++;
    const traceOk = this.idCheck(traceId, 16, 'trace', 'traces', traceId, spanId);
    const spanOk = this.idCheck(spanId, 8, 'span', 'traces', traceId, spanId);
    if (parentId.length !== 0 && parentId.length !== 8) {
      this.problem('bad_parent_id_length', { ...spanCtx(traceId, spanId), message: `parent span id has ${parentId.length} bytes, expected 8` });
    }
    if (traceOk && spanOk) this.link(traceId, spanId, parentId.length === 8 ? key(parentId) : undefined);
    if (start.hi > end.hi || (start.hi === end.hi && start.lo > end.lo)) {
      this.problem('start_after_end', { ...spanCtx(traceId, spanId), message: `start ${big(start)} is after end ${big(end)}` });
    }
    this.timeCheck(start, 'start', 'traces', traceId, spanId);
    this.timeCheck(end, 'end', 'traces', traceId, spanId);
    this.arrival.span(traceId, spanId, parentId, end);
  }

  log(traceId: Uint8Array, spanId: Uint8Array, time: Nanos, observed: Nanos): void {
    if (!this.inSample('logs', traceId)) return;
    this.checked.logs++;
    const traceOk = traceId.length > 0 && this.idCheck(traceId, 16, 'trace', 'logs', traceId, spanId);
    const spanOk = spanId.length > 0 && this.idCheck(spanId, 8, 'span', 'logs', traceId, spanId);
    if (traceOk && spanOk) this.linked('orphan_log', 'logs', traceId, spanId);
    // time_unix_nano 0 means "unknown" in OTLP logs; only set times are checked.
    if (time.hi !== 0 || time.lo !== 0) this.timeCheck(time, 'time', 'logs', traceId, spanId);
    if (observed.hi !== 0 || observed.lo !== 0) this.timeCheck(observed, 'observed time', 'logs', traceId, spanId);
  }

  /** A data point's exemplar: its trace_id/span_id, when both are set, must name a span that arrives. */
  exemplar(traceId: Uint8Array, spanId: Uint8Array): void {
    if (traceId.length === 16 && spanId.length === 8 && !isZero(traceId) && !isZero(spanId)) this.linked('orphan_exemplar', 'metrics', traceId, spanId);
  }

  private linked(kind: LinkKind, signal: Signal, traceId: Uint8Array, spanId: Uint8Array): void {
    // A span of a trace outside the sample is never recorded, so a link to it cannot be checked.
    if (!this.traceSampled(traceId)) return;
    this.links.reference(kind, key(traceId), key(spanId), () => ({
      signal, traceId: hex(traceId), spanId: hex(spanId), message: `names span ${hex(spanId)} of trace ${hex(traceId)}, which did not arrive within ${LINK_GRACE_MS / 1000}s`,
    }));
  }

  /** One data point; `name` gives the metric's name, read only for a problem. */
  point(name: () => string, start: Nanos, time: Nanos): void {
    this.checked.metrics++;
    const hasStart = start.hi !== 0 || start.lo !== 0;
    if (hasStart && (time.hi < start.hi || (time.hi === start.hi && time.lo < start.lo))) {
      this.problem('time_before_start', { signal: 'metrics', message: `${name()}: time ${big(time)} is before start ${big(start)}` });
    }
    this.timeCheck(time, 'time', 'metrics', EMPTY, EMPTY);
  }

  private undecodable(signal: Signal, encoding: 'proto' | 'json', err: unknown): void {
    this.problem('undecodable', { signal, message: `${encoding} request does not decode: ${(err as Error).message}` });
  }

  private idCheck(id: Uint8Array, len: number, what: 'trace' | 'span', signal: Signal, traceId: Uint8Array, spanId: Uint8Array): boolean {
    if (id.length !== len) {
      this.problem(`bad_${what}_id_length`, { ...ctx(signal, traceId, spanId), message: `${what} id has ${id.length} bytes, expected ${len}` });
      return false;
    }
    for (let i = 0; i < len; i++) if (id[i] !== 0) return true;
    this.problem(`zero_${what}_id`, { ...ctx(signal, traceId, spanId), message: `${what} id is all zeros` });
    return false;
  }

  private timeCheck(t: Nanos, name: string, signal: Signal, traceId: Uint8Array, spanId: Uint8Array): void {
    // ms as a double: exact enough for a window of seconds or more.
    const ms = t.hi * (TWO_32 / NS_PER_MS) + t.lo / NS_PER_MS;
    if (ms >= this.windowLo && ms <= this.windowHi) return;
    const offMs = ms - Date.now();
    this.problem('time_out_of_window', {
      ...ctx(signal, traceId, spanId),
      message: `${name} ${big(t)} is ${Math.round(offMs / 1000)}s from now (window ±${this.timeWindowMs / 1000}s)`,
    });
  }

  /** Duplicate span ids and parent links, over the two-generation window. */
  private link(traceId: Uint8Array, spanId: Uint8Array, parentKey: string | undefined): void {
    const traceKey = key(traceId);
    const spanKey = key(spanId);
    if (this.seen.has(spanKey) || this.seenOld.has(spanKey)) {
      this.problem('duplicate_span_id', { ...spanCtx(traceId, spanId), message: `span id ${hex(spanId)} seen before` });
    } else {
      if (this.seen.size >= this.idWindow / 2) this.rotate();
      this.seen.set(spanKey, traceKey);
    }
    this.links.spanArrived(traceKey, spanKey);
    const self = traceKey + spanKey;
    this.pending.delete(self);
    this.pendingOld.delete(self);
    if (parentKey === undefined) return;
    const parentTrace = this.seen.get(parentKey) ?? this.seenOld.get(parentKey);
    if (parentTrace === traceKey) return;
    const waiting = traceKey + parentKey;
    if (!this.pending.has(waiting) && !this.pendingOld.has(waiting)) {
      this.pending.set(waiting, { ...spanCtx(traceId, spanId), message: `parent span ${hexKey(parentKey)} not seen in trace ${hex(traceId)}` });
    }
  }

  /** Drops the oldest generation; children still waiting there for a parent become orphans. */
  private rotate(): void {
    for (const ex of this.pendingOld.values()) this.problem('orphan', ex);
    this.seenOld = this.seen;
    this.seen = new Map();
    this.pendingOld = this.pending;
    this.pending = new Map();
  }

  private problem(kind: ProblemKind, ex: ProblemExample): void {
    this.problems[kind] = (this.problems[kind] ?? 0) + 1;
    const list = (this.examples[kind] ??= []);
    if (list.length < this.maxExamples) list.push(ex);
  }
}

const EMPTY = new Uint8Array(0);
