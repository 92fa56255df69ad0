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

/** A timestamp field: its holder object and key, so it can be rewritten after the base is known. */
interface TimeSite {
  obj: any;
  key: string;
}

export function normalize(signal: Signal, request: any, source: string): TemplateData {
  if (signal === 'traces') normalizeTraces(request, source);
  else if (signal === 'metrics') normalizeMetrics(request, source);
  else normalizeLogs(request, source);
  return { signal, request, source };
}

function normalizeTraces(request: any, source: string): void {
  // Sites grouped per trace; spans placed by `_template.*` are relative already and stay out.
  const traces = new Map<string, TimeSite[]>();
  let absolute = false;
  let count = 0;
  forEach(request.resourceSpans, 'resourceSpans', (rs, p1) =>
    forEach(rs.scopeSpans, `${p1}.scopeSpans`, (ss, p2) =>
      forEach(ss.spans, `${p2}.spans`, (span, path) => {
        count++;
        const where = `span ${JSON.stringify(span.name ?? '')} at ${path}`;
        checkId(span.traceId, 16, false, `${where}: traceId`, source);
        checkId(span.spanId, 8, false, `${where}: spanId`, source);
        checkId(span.parentSpanId, 8, true, `${where}: parentSpanId`, source);
        forEach(span.links, `${path}.links`, (link, lp) => {
          checkId(link.traceId, 16, true, `${where}: ${lp}.traceId`, source);
          checkId(link.spanId, 8, true, `${where}: ${lp}.spanId`, source);
        });
        if (applyTemplateAttributes(span, where, source)) return;
        const key = Buffer.from(span.traceId).toString('hex');
        let sites = traces.get(key);
        if (!sites) traces.set(key, (sites = []));
        sites.push({ obj: span, key: 'startTimeUnixNano' }, { obj: span, key: 'endTimeUnixNano' });
        forEach(span.events, '', (ev) => void sites.push({ obj: ev, key: 'timeUnixNano' }));
        absolute ||= isAbsolute(span.startTimeUnixNano) || isAbsolute(span.endTimeUnixNano);
        forEach(span.events, '', (ev) => void (absolute ||= isAbsolute(ev.timeUnixNano)));
      }),
    ),
  );
  if (count === 0) throw new TemplateError('holds no spans', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  for (const sites of traces.values()) rebase(sites, absolute, source, 'trace');
}

function normalizeMetrics(request: any, source: string): void {
  const sites: TimeSite[] = [];
  let count = 0;
  forEach(request.resourceMetrics, 'resourceMetrics', (rm, p1) =>
    forEach(rm.scopeMetrics, `${p1}.scopeMetrics`, (sm, p2) =>
      forEach(sm.metrics, `${p2}.metrics`, (metric, p3) => {
        for (const kind of METRIC_DATA) {
          forEach(metric[kind]?.dataPoints, `${p3}.${kind}.dataPoints`, (dp, path) => {
            count++;
            sites.push({ obj: dp, key: 'startTimeUnixNano' }, { obj: dp, key: 'timeUnixNano' });
            forEach(dp.exemplars, `${path}.exemplars`, (ex, ep) => {
              checkId(ex.traceId, 16, true, `metric ${JSON.stringify(metric.name ?? '')}: ${ep}.traceId`, source);
              checkId(ex.spanId, 8, true, `metric ${JSON.stringify(metric.name ?? '')}: ${ep}.spanId`, source);
              sites.push({ obj: ex, key: 'timeUnixNano' });
            });
          });
        }
      }),
    ),
  );
  if (count === 0) throw new TemplateError('holds no data points', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  rebase(sites, sites.some((s) => isAbsolute(s.obj[s.key])), source, 'file');
}

function normalizeLogs(request: any, source: string): void {
  const sites: TimeSite[] = [];
  forEach(request.resourceLogs, 'resourceLogs', (rl, p1) =>
    forEach(rl.scopeLogs, `${p1}.scopeLogs`, (sl, p2) =>
      forEach(sl.logRecords, `${p2}.logRecords`, (log, path) => {
        checkId(log.traceId, 16, true, `log record at ${path}: traceId`, source);
        checkId(log.spanId, 8, true, `log record at ${path}: spanId`, source);
        sites.push({ obj: log, key: 'timeUnixNano' }, { obj: log, key: 'observedTimeUnixNano' });
      }),
    ),
  );
  if (sites.length === 0) throw new TemplateError('holds no log records', { file: source, code: 'ERR_TEMPLATE_EMPTY' });
  rebase(sites, sites.some((s) => isAbsolute(s.obj[s.key])), source, 'file');
}

/**
 * Rewrites every site as a Number: the offset from the earliest non-zero time among
 * `sites` if the data is absolute, the value itself if it is relative. Absent or 0 stays 0.
 */
function rebase(sites: TimeSite[], absolute: boolean, source: string, scope: string): void {
  let baseHi = 0;
  let baseLo = 0;
  if (absolute) {
    baseHi = Infinity;
    for (const s of sites) {
      split(s.obj[s.key], source);
      if ((H !== 0 || L !== 0) && (H < baseHi || (H === baseHi && L < baseLo))) {
        baseHi = H;
        baseLo = L;
      }
    }
    if (baseHi === Infinity) baseHi = 0;
  }
  for (const s of sites) {
    split(s.obj[s.key], source);
    let n = 0;
    if (H !== 0 || L !== 0) {
      n = (H - baseHi) * TWO32 + (L - baseLo);
      if (n > Number.MAX_SAFE_INTEGER) {
        throw new TemplateError(`times in one ${scope} span more than 2^53 ns (~104 days); cannot be a template`, {
          file: source,
          code: 'ERR_TEMPLATE_MALFORMED',
        });
      }
    }
    s.obj[s.key] = n;
  }
}

/** The unsigned halves of the last time `split` read; module state keeps the hot loop allocation-free. */
let H = 0;
let L = 0;

function split(v: unknown, source: string): void {
  if (v === undefined || v === null) {
    H = L = 0;
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new TemplateError(`invalid time ${v}`, { file: source, code: 'ERR_TEMPLATE_MALFORMED' });
    H = Math.floor(v / TWO32);
    L = v >>> 0;
  } else if (typeof v === 'object' && 'high' in v && 'low' in v) {
    H = (v as { high: number }).high >>> 0;
    L = (v as { low: number }).low >>> 0;
  } else if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) < 2n ** 64n) {
    const b = BigInt(v);
    H = Number(b >> 32n);
    L = Number(b & 0xffffffffn);
  } else {
    throw new TemplateError(`invalid time ${String(v)}`, { file: source, code: 'ERR_TEMPLATE_MALFORMED' });
  }
}

function isAbsolute(v: unknown): boolean {
  if (typeof v === 'number') return v >= RELATIVE_LIMIT;
  if (typeof v === 'object' && v !== null && 'high' in v) return ((v as { high: number }).high >>> 0) * TWO32 >= RELATIVE_LIMIT;
  return typeof v === 'string' && Number(v) >= RELATIVE_LIMIT;
}

/**
 * Applies the seed tool's `_template.start_offset_nanos` / `_template.duration_nanos`
 * and strips every `_template.*` attribute. Returns true if the span's times were set
 * (its events move with it, keeping their distance to the span start).
 */
function applyTemplateAttributes(span: any, where: string, source: string): boolean {
  const attrs: any[] | undefined = span.attributes;
  if (!attrs || !attrs.some((a) => typeof a.key === 'string' && a.key.startsWith(TEMPLATE_PREFIX))) return false;
  let offset: bigint | undefined;
  let duration: bigint | undefined;
  for (const a of attrs) {
    if (a.key === START_ATTR) offset = templateInt(a.value, `${where}: ${START_ATTR}`, source);
    else if (a.key === DURATION_ATTR) duration = templateInt(a.value, `${where}: ${DURATION_ATTR}`, source);
  }
  span.attributes = attrs.filter((a) => !(typeof a.key === 'string' && a.key.startsWith(TEMPLATE_PREFIX)));
  if (offset === undefined && duration === undefined) return false;
  split(span.startTimeUnixNano, source);
  const oldStart = (BigInt(H) << 32n) | BigInt(L);
  split(span.endTimeUnixNano, source);
  const oldEnd = (BigInt(H) << 32n) | BigInt(L);
  const start = offset ?? 0n;
  const end = start + (duration ?? (oldEnd > oldStart && oldStart > 0n ? oldEnd - oldStart : 0n));
  if (end > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TemplateError(`${where}: ${START_ATTR} + ${DURATION_ATTR} exceeds 2^53 ns`, { file: source, code: 'ERR_TEMPLATE_MALFORMED' });
  }
  span.startTimeUnixNano = Number(start);
  span.endTimeUnixNano = Number(end);
  forEach(span.events, '', (ev) => {
    split(ev.timeUnixNano, source);
    const t = (BigInt(H) << 32n) | BigInt(L);
    const moved = oldStart > 0n && t > oldStart ? start + (t - oldStart) : start;
    ev.timeUnixNano = moved > BigInt(Number.MAX_SAFE_INTEGER) ? Number(start) : Number(moved);
  });
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

function checkId(id: unknown, bytes: number, optional: boolean, where: string, source: string): void {
  // protobufjs' default for an absent bytes field is a shared empty plain array.
  const absent = id === undefined || id === null || (Array.isArray(id) && id.length === 0);
  const len = id instanceof Uint8Array ? id.length : absent ? 0 : -1;
  if (len === bytes || (optional && len === 0)) return;
  const problem = len === 0 ? 'is missing' : len < 0 ? 'is not bytes' : `has ${len} bytes`;
  throw new TemplateError(`${where} ${problem}, expected ${bytes} bytes${optional ? ' or empty' : ''}`, {
    file: source,
    code: 'ERR_TEMPLATE_MALFORMED',
  });
}

function forEach(list: any[] | undefined | null, path: string, fn: (item: any, path: string) => void): void {
  if (!list) return;
  for (let i = 0; i < list.length; i++) fn(list[i], path && `${path}[${i}]`);
}
