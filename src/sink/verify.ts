import { decodeOtlpJson } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import type { Signal } from '../otlp/signals.js';
import { METRIC_DATA_KEYS } from '../otlp/signals.js';

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
}

export type ProblemKind =
  | 'undecodable'
  | 'zero_trace_id' | 'bad_trace_id_length' | 'zero_span_id' | 'bad_span_id_length' | 'bad_parent_id_length'
  | 'duplicate_span_id' | 'orphan' | 'start_after_end' | 'time_out_of_window' | 'time_before_start';

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
  examples: Partial<Record<ProblemKind, ProblemExample[]>>;
  policy: { idWindow: number; timeWindowMs: number };
  ok: boolean;
}

/** Values as protobufjs decodes them: ids as Uint8Array, fixed64 as Long (or number without long.js). */
type IdValue = Uint8Array | null | undefined;
type TimeValue = { low: number; high: number } | number | null | undefined;
// Decoded requests (requestType().decode or decodeOtlpJson) are walked without generated types.
type Obj = Record<string, any>;

const NS_PER_MS = 1_000_000n;

/**
 * Checks decoded requests for the mistakes a replay tool can make: bad or repeated ids,
 * broken parent links, inverted or stale times. Memory is bounded by `idWindow`.
 */
export class Verifier {
  readonly timeWindowMs: number;
  readonly idWindow: number;
  private readonly maxExamples: number;
  private readonly checked: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  private readonly problems: Partial<Record<ProblemKind, number>> = {};
  private readonly examples: Partial<Record<ProblemKind, ProblemExample[]>> = {};
  /** span id (latin1 key) → trace id key; two generations form the sliding window. */
  private seen = new Map<string, string>();
  private seenOld = new Map<string, string>();
  /** trace key + parent span key → the first child waiting for that parent. */
  private pending = new Map<string, ProblemExample>();
  private pendingOld = new Map<string, ProblemExample>();

  constructor(opts: VerifyOptions = {}) {
    this.timeWindowMs = opts.timeWindowMs ?? 3_600_000;
    this.idWindow = opts.idWindow ?? 2_000_000;
    this.maxExamples = opts.maxExamples ?? 20;
    if (!(this.timeWindowMs > 0)) throw new RangeError(`verify time window must be > 0 ms, got ${opts.timeWindowMs}`);
    if (!(Number.isInteger(this.idWindow) && this.idWindow >= 2)) throw new RangeError(`verify id window must be an integer ≥ 2, got ${opts.idWindow}`);
  }

  /**
   * Decodes one request body (counting walked only its envelope) and checks it. A body
   * that does not decode (a bad field inside an item, a JSON id of the wrong length) is
   * an `undecodable` problem: the sink had already accepted it.
   */
  checkBody(signal: Signal, encoding: 'proto' | 'json', body: Uint8Array): void {
    let request: Obj;
    try {
      request = encoding === 'proto'
        ? requestType(signal).decode(body)
        : decodeOtlpJson(signal, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch (err) {
      this.problem('undecodable', { signal, message: `${encoding} request does not decode: ${(err as Error).message}` });
      return;
    }
    this.check(signal, request);
  }

  check(signal: Signal, request: Obj): void {
    const now = BigInt(Date.now()) * NS_PER_MS;
    const win = BigInt(Math.round(this.timeWindowMs)) * NS_PER_MS;
    const bounds: [bigint, bigint] = [now - win, now + win];
    if (signal === 'traces') this.eachItem(request.resourceSpans, 'scopeSpans', 'spans', (s) => this.span(s, bounds));
    else if (signal === 'logs') this.eachItem(request.resourceLogs, 'scopeLogs', 'logRecords', (l) => this.log(l, bounds));
    else this.eachItem(request.resourceMetrics, 'scopeMetrics', 'metrics', (m) => this.metric(m, bounds));
  }

  report(): VerifyReport {
    const orphans = (this.problems.orphan ?? 0) + this.pending.size + this.pendingOld.size;
    const problems = { ...this.problems, ...(orphans ? { orphan: orphans } : {}) };
    const examples = structuredClone(this.examples);
    for (const ex of [...this.pendingOld.values(), ...this.pending.values()]) {
      const list = (examples.orphan ??= []);
      if (list.length < this.maxExamples) list.push(ex);
    }
    return {
      checked: { ...this.checked },
      problems,
      pendingParents: this.pending.size + this.pendingOld.size,
      examples,
      policy: { idWindow: this.idWindow, timeWindowMs: this.timeWindowMs },
      ok: Object.values(problems).every((n) => !n),
    };
  }

  private eachItem(resources: unknown, scopeKey: string, itemKey: string, fn: (item: Obj) => void): void {
    for (const r of asList(resources)) for (const s of asList((r as Obj)?.[scopeKey])) for (const i of asList((s as Obj)?.[itemKey])) fn(i as Obj);
  }

  private span(s: Obj, bounds: [bigint, bigint]): void {
    this.checked.traces++;
    const traceId = idBytes(s.traceId);
    const spanId = idBytes(s.spanId);
    const parentId = idBytes(s.parentSpanId);
    const ctx = { signal: 'traces' as const, traceId: hex(traceId), spanId: hex(spanId) };
    const traceOk = this.idCheck(traceId, 16, 'trace', ctx);
    const spanOk = this.idCheck(spanId, 8, 'span', ctx);
    if (parentId.length !== 0 && parentId.length !== 8) {
      this.problem('bad_parent_id_length', { ...ctx, message: `parent span id has ${parentId.length} bytes, expected 8` });
    }
    if (traceOk && spanOk) this.link(ctx, key(traceId), key(spanId), parentId.length === 8 ? key(parentId) : undefined);
    const start = nanos(s.startTimeUnixNano);
    const end = nanos(s.endTimeUnixNano);
    if (start > end) this.problem('start_after_end', { ...ctx, message: `start ${start} is after end ${end}` });
    this.timeCheck(start, 'start', bounds, ctx);
    this.timeCheck(end, 'end', bounds, ctx);
  }

  private log(l: Obj, bounds: [bigint, bigint]): void {
    this.checked.logs++;
    const traceId = idBytes(l.traceId);
    const spanId = idBytes(l.spanId);
    const ctx = { signal: 'logs' as const, traceId: hex(traceId) || undefined, spanId: hex(spanId) || undefined };
    if (traceId.length) this.idCheck(traceId, 16, 'trace', ctx);
    if (spanId.length) this.idCheck(spanId, 8, 'span', ctx);
    // time_unix_nano 0 means "unknown" in OTLP logs; only set times are checked.
    for (const [name, v] of [['time', l.timeUnixNano], ['observed time', l.observedTimeUnixNano]] as const) {
      const t = nanos(v);
      if (t !== 0n) this.timeCheck(t, name, bounds, ctx);
    }
  }

  private metric(m: Obj, bounds: [bigint, bigint]): void {
    const ctx = { signal: 'metrics' as const };
    for (const kind of METRIC_DATA_KEYS) {
      for (const p of asList(m[kind]?.dataPoints)) {
        this.checked.metrics++;
        const start = nanos((p as Obj).startTimeUnixNano);
        const time = nanos((p as Obj).timeUnixNano);
        if (start !== 0n && time < start) {
          this.problem('time_before_start', { ...ctx, message: `${m.name ?? 'metric'}: time ${time} is before start ${start}` });
        }
        this.timeCheck(time, 'time', bounds, ctx);
      }
    }
  }

  private idCheck(id: Uint8Array, len: number, what: 'trace' | 'span', ctx: Omit<ProblemExample, 'message'>): boolean {
    if (id.length !== len) {
      this.problem(`bad_${what}_id_length`, { ...ctx, message: `${what} id has ${id.length} bytes, expected ${len}` });
      return false;
    }
    if (id.every((b) => b === 0)) {
      this.problem(`zero_${what}_id`, { ...ctx, message: `${what} id is all zeros` });
      return false;
    }
    return true;
  }

  private timeCheck(t: bigint, name: string, [lo, hi]: [bigint, bigint], ctx: Omit<ProblemExample, 'message'>): void {
    if (t >= lo && t <= hi) return;
    const offMs = Number(t / NS_PER_MS) - Date.now();
    this.problem('time_out_of_window', { ...ctx, message: `${name} ${t} is ${Math.round(offMs / 1000)}s from now (window ±${this.timeWindowMs / 1000}s)` });
  }

  /** Duplicate span ids and parent links, over the two-generation window. */
  private link(ctx: Omit<ProblemExample, 'message'>, traceKey: string, spanKey: string, parentKey: string | undefined): void {
    if (this.seen.has(spanKey) || this.seenOld.has(spanKey)) {
      this.problem('duplicate_span_id', { ...ctx, message: `span id ${ctx.spanId} seen before` });
    } else {
      if (this.seen.size >= this.idWindow / 2) this.rotate();
      this.seen.set(spanKey, traceKey);
    }
    const self = traceKey + spanKey;
    this.pending.delete(self);
    this.pendingOld.delete(self);
    if (parentKey === undefined) return;
    const parentTrace = this.seen.get(parentKey) ?? this.seenOld.get(parentKey);
    if (parentTrace === traceKey) return;
    const waiting = traceKey + parentKey;
    if (!this.pending.has(waiting) && !this.pendingOld.has(waiting)) {
      this.pending.set(waiting, { ...ctx, message: `parent span ${hexKey(parentKey)} not seen in trace ${ctx.traceId}` });
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

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

const EMPTY = new Uint8Array(0);

function idBytes(v: IdValue): Uint8Array {
  return v instanceof Uint8Array ? v : EMPTY;
}

function nanos(v: TimeValue): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function key(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

function hexKey(k: string): string {
  return Buffer.from(k, 'latin1').toString('hex');
}
