import { TemplateError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import type { TemplateData } from './template-data.js';

/**
 * Makes a decoded request a template: every timestamp becomes a Number of nanoseconds
 * relative to its trace (spans) or its file (metrics, logs), `_template.*` span attributes
 * are applied and stripped, ids are checked. Mutates `request` in place.
 *
 * Recorded times are ~1.7e18 ns, past 2^53, so they are never turned into a float: they
 * are compared and subtracted as unsigned 32-bit halves, and only the (small) offset
 * becomes a Number.
 */

/** Below this every time is taken as already relative (~11.6 days in ns). */
export const RELATIVE_LIMIT = 1e15;
const TWO32 = 4294967296;
const START_ATTR = '_template.start_offset_nanos';
const DURATION_ATTR = '_template.duration_nanos';
const TEMPLATE_PREFIX = '_template.';
const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export function normalize(signal: Signal, request: any, source: string): TemplateData {
  if (signal === 'traces') normalizeTraces(request, source);
  else if (signal === 'metrics') normalizeMetrics(request, source);
  else normalizeLogs(request, source);
  return { signal, request, source };
}

function normalizeTraces(request: any, source: string): void {
  // Spans per trace id; spans placed by `_template.*` are relative already and stay out.
  const traces = new Map<string, any[]>();
  const clock = new Clock(source);
  let count = 0;
  const rss: any[] = request.resourceSpans ?? [];
  for (let i = 0; i < rss.length; i++) {
    const sss: any[] = rss[i].scopeSpans ?? [];
    for (let j = 0; j < sss.length; j++) {
      const spans: any[] = sss[j].spans ?? [];
      for (let k = 0; k < spans.length; k++) {
        const span = spans[k];
        count++;
        const where = () => `span ${JSON.stringify(span.name ?? '')} at resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        checkId(span.traceId, 16, false, source, where, 'traceId');
        checkId(span.spanId, 8, false, source, where, 'spanId');
        checkId(span.parentSpanId, 8, true, source, where, 'parentSpanId');
        const links: any[] = span.links ?? [];
        for (let l = 0; l < links.length; l++) {
          checkId(links[l].traceId, 16, true, source, where, `links[${l}].traceId`);
          checkId(links[l].spanId, 8, true, source, where, `links[${l}].spanId`);
        }
        if (applyTemplateAttributes(span, where, source)) continue;
        const id: Uint8Array = span.traceId;
        const key = Buffer.from(id.buffer, id.byteOffset, id.length).toString('hex');
        const group = traces.get(key);
        if (group) group.push(span);
        else traces.set(key, [span]);
        clock.note(span.startTimeUnixNano);
        clock.note(span.endTimeUnixNano);
        const events: any[] = span.events ?? [];
        for (let e = 0; e < events.length; e++) clock.note(events[e].timeUnixNano);
      }
    }
  }
  if (count === 0) throw new TemplateError('holds no spans', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  for (const spans of traces.values()) {
    clock.startBase();
    if (clock.absolute) {
      for (const span of spans) {
        clock.see(span.startTimeUnixNano);
        clock.see(span.endTimeUnixNano);
        for (const ev of span.events ?? []) clock.see(ev.timeUnixNano);
      }
    }
    clock.endBase('trace');
    for (const span of spans) {
      span.startTimeUnixNano = clock.offset(span.startTimeUnixNano);
      span.endTimeUnixNano = clock.offset(span.endTimeUnixNano);
      for (const ev of span.events ?? []) ev.timeUnixNano = clock.offset(ev.timeUnixNano);
    }
  }
}

function normalizeMetrics(request: any, source: string): void {
  const clock = new Clock(source);
  clock.startBase();
  const count = eachPoint(request, (dp, ex, where) => {
    clock.see(dp.startTimeUnixNano);
    clock.see(dp.timeUnixNano);
    for (let e = 0; e < ex.length; e++) {
      checkId(ex[e].traceId, 16, true, source, where, `exemplars[${e}].traceId`);
      checkId(ex[e].spanId, 8, true, source, where, `exemplars[${e}].spanId`);
      clock.see(ex[e].timeUnixNano);
    }
  });
  if (count === 0) throw new TemplateError('holds no data points', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  clock.endBase('file');
  eachPoint(request, (dp, ex) => {
    dp.startTimeUnixNano = clock.offset(dp.startTimeUnixNano);
    dp.timeUnixNano = clock.offset(dp.timeUnixNano);
    for (let e = 0; e < ex.length; e++) ex[e].timeUnixNano = clock.offset(ex[e].timeUnixNano);
  });
}

/** Calls `fn` for every data point of every metric kind; returns how many there were. */
function eachPoint(request: any, fn: (dp: any, exemplars: any[], where: () => string) => void): number {
  let count = 0;
  const rms: any[] = request.resourceMetrics ?? [];
  for (let i = 0; i < rms.length; i++) {
    const sms: any[] = rms[i].scopeMetrics ?? [];
    for (let j = 0; j < sms.length; j++) {
      const metrics: any[] = sms[j].metrics ?? [];
      for (let k = 0; k < metrics.length; k++) {
        const metric = metrics[k];
        for (const kind of METRIC_DATA) {
          const points: any[] = metric[kind]?.dataPoints ?? [];
          for (let p = 0; p < points.length; p++) {
            count++;
            const where = () =>
              `metric ${JSON.stringify(metric.name ?? '')} at resourceMetrics[${i}].scopeMetrics[${j}].metrics[${k}].${kind}.dataPoints[${p}]`;
            fn(points[p], points[p].exemplars ?? [], where);
          }
        }
      }
    }
  }
  return count;
}

function normalizeLogs(request: any, source: string): void {
  const clock = new Clock(source);
  clock.startBase();
  const count = eachLog(request, (log, where) => {
    checkId(log.traceId, 16, true, source, where, 'traceId');
    checkId(log.spanId, 8, true, source, where, 'spanId');
    clock.see(log.timeUnixNano);
    clock.see(log.observedTimeUnixNano);
  });
  if (count === 0) throw new TemplateError('holds no log records', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  clock.endBase('file');
  eachLog(request, (log) => {
    log.timeUnixNano = clock.offset(log.timeUnixNano);
    log.observedTimeUnixNano = clock.offset(log.observedTimeUnixNano);
  });
}

function eachLog(request: any, fn: (log: any, where: () => string) => void): number {
  let count = 0;
  const rls: any[] = request.resourceLogs ?? [];
  for (let i = 0; i < rls.length; i++) {
    const sls: any[] = rls[i].scopeLogs ?? [];
    for (let j = 0; j < sls.length; j++) {
      const logs: any[] = sls[j].logRecords ?? [];
      for (let k = 0; k < logs.length; k++) {
        count++;
        fn(logs[k], () => `log record at resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`);
      }
    }
  }
  return count;
}

/**
 * Reads fixed64 times (Long, number or decimal string) as unsigned 32-bit halves, finds
 * the earliest non-zero one and turns times into Number offsets from it. Absent or 0
 * means "not recorded" and becomes offset 0. Relative data (everything below
 * RELATIVE_LIMIT) keeps its values: the base stays 0.
 */
class Clock {
  /** Some time seen by `note` or `see` was at or above RELATIVE_LIMIT. */
  absolute = false;
  private hi = 0;
  private lo = 0;
  private baseHi = 0;
  private baseLo = 0;
  private scope = 'file';

  constructor(private readonly source: string) {}

  note(v: unknown): void {
    this.split(v);
    if (this.hi * TWO32 + this.lo >= RELATIVE_LIMIT) this.absolute = true;
  }

  startBase(): void {
    this.baseHi = Infinity;
    this.baseLo = 0;
  }

  see(v: unknown): void {
    this.note(v);
    const { hi, lo } = this;
    if ((hi !== 0 || lo !== 0) && (hi < this.baseHi || (hi === this.baseHi && lo < this.baseLo))) {
      this.baseHi = hi;
      this.baseLo = lo;
    }
  }

  endBase(scope: string): void {
    this.scope = scope;
    if (!this.absolute || this.baseHi === Infinity) this.baseHi = this.baseLo = 0;
  }

  offset(v: unknown): number {
    this.split(v);
    if (this.hi === 0 && this.lo === 0) return 0;
    const n = (this.hi - this.baseHi) * TWO32 + (this.lo - this.baseLo);
    if (n > Number.MAX_SAFE_INTEGER) {
      throw new TemplateError(`times in one ${this.scope} span more than 2^53 ns (~104 days); cannot be a template`, {
        file: this.source,
        code: 'ERR_TEMPLATE_MALFORMED',
      });
    }
    return n;
  }

  /** The value as bigint, for the rare `_template.*` arithmetic. */
  big(v: unknown): bigint {
    this.split(v);
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  private split(v: unknown): void {
    if (v === undefined || v === null) {
      this.hi = this.lo = 0;
    } else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) this.invalid(v);
      this.hi = Math.floor(v / TWO32);
      this.lo = v >>> 0;
    } else if (typeof v === 'object' && 'high' in v && 'low' in v) {
      this.hi = (v as { high: number }).high >>> 0;
      this.lo = (v as { low: number }).low >>> 0;
    } else if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) < 2n ** 64n) {
      const b = BigInt(v);
      this.hi = Number(b >> 32n);
      this.lo = Number(b & 0xffffffffn);
    } else {
      this.invalid(v);
    }
  }

  private invalid(v: unknown): never {
    throw new TemplateError(`invalid time ${String(v)}`, { file: this.source, code: 'ERR_TEMPLATE_MALFORMED' });
  }
}

/**
 * Applies the seed tool's `_template.start_offset_nanos` / `_template.duration_nanos`
 * and strips every `_template.*` attribute. Returns true if the span's times were set
 * (its events move with it, keeping their distance to the span start).
 */
function applyTemplateAttributes(span: any, where: () => string, source: string): boolean {
  const attrs: any[] | undefined = span.attributes;
  if (!attrs || !attrs.some((a) => typeof a.key === 'string' && a.key.startsWith(TEMPLATE_PREFIX))) return false;
  let offset: bigint | undefined;
  let duration: bigint | undefined;
  for (const a of attrs) {
    if (a.key === START_ATTR) offset = templateInt(a.value, `${where()}: ${START_ATTR}`, source);
    else if (a.key === DURATION_ATTR) duration = templateInt(a.value, `${where()}: ${DURATION_ATTR}`, source);
  }
  span.attributes = attrs.filter((a) => !(typeof a.key === 'string' && a.key.startsWith(TEMPLATE_PREFIX)));
  if (offset === undefined && duration === undefined) return false;
  const clock = new Clock(source);
  const oldStart = clock.big(span.startTimeUnixNano);
  const oldEnd = clock.big(span.endTimeUnixNano);
  const start = offset ?? 0n;
  const end = start + (duration ?? (oldEnd > oldStart && oldStart > 0n ? oldEnd - oldStart : 0n));
  if (end > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TemplateError(`${where()}: ${START_ATTR} + ${DURATION_ATTR} exceeds 2^53 ns`, { file: source, code: 'ERR_TEMPLATE_MALFORMED' });
  }
  span.startTimeUnixNano = Number(start);
  span.endTimeUnixNano = Number(end);
  for (const ev of span.events ?? []) {
    const t = clock.big(ev.timeUnixNano);
    const moved = oldStart > 0n && t > oldStart ? start + (t - oldStart) : start;
    ev.timeUnixNano = moved > BigInt(Number.MAX_SAFE_INTEGER) ? Number(start) : Number(moved);
  }
  return true;
}

function templateInt(value: any, where: string, source: string): bigint {
  // Own properties only: protobufjs puts oneof defaults (a zero Long) on the prototype.
  const own = (k: string) => (value && Object.prototype.hasOwnProperty.call(value, k) ? value[k] : undefined);
  const v = own('intValue') ?? own('stringValue');
  const s = typeof v === 'object' && v !== null ? String(v) : typeof v === 'number' ? String(v) : v;
  if (typeof s === 'string' && /^\d{1,16}$/.test(s)) return BigInt(s);
  throw new TemplateError(`${where} must be a non-negative integer of nanoseconds, got ${JSON.stringify(String(v))}`, {
    file: source,
    code: 'ERR_TEMPLATE_MALFORMED',
  });
}

function checkId(id: unknown, bytes: number, optional: boolean, source: string, where: () => string, field: string): void {
  // protobufjs' default for an absent bytes field is a shared empty plain array.
  const absent = id === undefined || id === null || (Array.isArray(id) && id.length === 0);
  const len = id instanceof Uint8Array ? id.length : absent ? 0 : -1;
  if (len === bytes || (optional && len === 0)) return;
  const problem = len === 0 ? 'is missing' : len < 0 ? 'is not bytes' : `has ${len} bytes`;
  throw new TemplateError(`${where()}: ${field} ${problem}, expected ${bytes} bytes${optional ? ' or empty' : ''}`, {
    file: source,
    code: 'ERR_TEMPLATE_MALFORMED',
  });
}
