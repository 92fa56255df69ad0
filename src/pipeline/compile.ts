import { TemplateError } from '../errors.js';
import { encodeOtlpJson } from '../otlp/json-encode.js';
import { requestType } from '../otlp/proto.js';
import type { Signal } from '../otlp/signals.js';
import { countEvents, metricDataKey, splitRequests, type SplitInput } from '../processors/batch-splitter.js';
import { splitSec } from '../processors/timestamp.js';
import type { TemplateData } from '../receivers/template-data.js';
import { type CompiledTemplate, type EncodedFrame, type Encoding, type Frame, U32List } from './frame.js';
import { SITE_SPAN_ID, SITE_TIME, SITE_TRACE_ID, walkSites } from './site-walker.js';

export interface CompileOptions {
  idRegen: boolean;
  timestamps: boolean;
  /** batch_splitter limits; both absent = one frame per TemplateData. */
  maxItems?: number;
  maxBytes?: number;
  encodings: Encoding[];
}

const TWO32 = 4294967296;

/**
 * Compiles templates of one signal into frames: partition (batch_splitter), encode once
 * per encoding, record patch sites. Every time field is first replaced by a placeholder
 * token (1, 2, 3, …: non-zero, so proto3 keeps the field) that indexes the table of
 * (time unit, relative offset); walking the encoded bytes then maps each site back to
 * its token, whatever order the encoder wrote fields in.
 */
export function compile(data: TemplateData[], opts: CompileOptions): CompiledTemplate {
  if (data.length === 0) throw new TemplateError('nothing to compile: no templates', { code: 'ERR_TEMPLATE_EMPTY' });
  const signal = data[0]!.signal;
  for (const d of data) {
    if (d.signal !== signal) throw new TemplateError(`holds ${d.signal}, but this pipeline compiles ${signal}`, { file: d.source });
  }
  const encodings = [...new Set(opts.encodings)];
  if (encodings.length === 0) throw new RangeError('compile: encodings must not be empty');

  const ctx = new Context(signal, opts);
  const inputs: SplitInput[] = data.map((d) => ({ request: opts.timestamps ? ctx.tokenize(d) : d.request, source: d.source }));
  const split = opts.maxItems !== undefined || opts.maxBytes !== undefined;
  const requests = split
    ? splitRequests(signal, inputs, { maxItems: limit(opts.maxItems), maxBytes: limit(opts.maxBytes) })
    : inputs.map((i) => i.request);
  const sources = inputs.length === 1 ? inputs[0]!.source : `${inputs.length} templates`;
  const frames = requests.map((req, i) => ctx.frame(req, encodings, split ? sources : inputs[i]!.source));

  let totalEvents = 0, maxFrameEvents = 0, maxFrameBytes = 0;
  for (const f of frames) {
    totalEvents += f.events;
    maxFrameEvents = Math.max(maxFrameEvents, f.events);
    for (const e of encodings) maxFrameBytes = Math.max(maxFrameBytes, f.byteLength[e]!);
  }
  return {
    signal, encodings, frames, totalEvents, maxFrameEvents, maxFrameBytes, idRegen: opts.idRegen, timestamps: opts.timestamps,
    traceGroups: ctx.traceGroups.words.freeze(), spanGroups: ctx.spanGroups.words.freeze(), unitCount: ctx.unitCount,
  };
}

function limit(n: number | undefined): number {
  if (n === undefined || n === 0) return Infinity;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`compile: batch limits must be non-negative integers, got ${n}`);
  return n;
}

/** Original ids → group index; groups span the whole template set. */
class IdGroups {
  readonly index = new Map<string, number>();
  readonly words = new U32List();
  constructor(private readonly len: 16 | 8) {}

  /** Group of the id at buf[at..at+len), or -1 for an empty or all-zero id (= not set: left alone). */
  group(buf: Uint8Array, at: number, len: number, source: string): number {
    if (len === 0) return -1;
    if (len !== this.len) {
      const what = this.len === 16 ? 'trace' : 'span';
      throw new TemplateError(`a ${what} id is ${len} bytes, not ${this.len}`, { file: source, code: 'ERR_TEMPLATE_BAD_ID' });
    }
    let zero = true;
    for (let i = 0; i < this.len; i++) if (buf[at + i] !== 0) zero = false;
    if (zero) return -1;
    const key = Buffer.from(buf.buffer, buf.byteOffset + at, this.len).toString('latin1');
    let g = this.index.get(key);
    if (g === undefined) {
      g = this.index.size;
      this.index.set(key, g);
      const dv = new DataView(buf.buffer, buf.byteOffset + at, this.len);
      for (let w = 0; w < this.len; w += 4) this.words.push(dv.getUint32(w, true));
    }
    return g;
  }
}

class Context {
  readonly traceGroups = new IdGroups(16);
  readonly spanGroups = new IdGroups(8);
  unitCount = 0;
  /** Per token (token − 1): its time unit and relative offset in ns. */
  private readonly tokenUnit: number[] = [];
  private readonly tokenRel: number[] = [];
  private readonly traceUnits = new Map<string, number>();
  private source = '';

  constructor(private readonly signal: Signal, private readonly opts: CompileOptions) {}

  private token(unit: number, value: unknown, what: string): number {
    this.tokenUnit.push(unit);
    this.tokenRel.push(relative(value, what, this.source));
    return this.tokenUnit.length;
  }

  /** A copy of the request tree down to the timed messages, every time replaced by a token. */
  tokenize(d: TemplateData): any {
    this.source = d.source;
    const sh = { traces: ['resourceSpans', 'scopeSpans', 'spans'], metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'], logs: ['resourceLogs', 'scopeLogs', 'logRecords'] }[this.signal];
    const item = this.signal === 'traces' ? this.span : this.signal === 'logs' ? this.logRecord : this.metric;
    return {
      [sh[0]!]: (d.request[sh[0]!] ?? []).map((rs: any) => ({
        ...rs, [sh[1]!]: (rs[sh[1]!] ?? []).map((ss: any) => ({ ...ss, [sh[2]!]: (ss[sh[2]!] ?? []).map((x: any) => item.call(this, x)) })),
      })),
    };
  }

  private span(s: any): any {
    const name = `span "${s.name ?? ''}"`;
    if (!(s.traceId instanceof Uint8Array) || s.traceId.length !== 16) throw new TemplateError(`${name} has no 16-byte trace id`, { file: this.source });
    const key = Buffer.from(s.traceId).toString('latin1');
    let unit = this.traceUnits.get(key);
    if (unit === undefined) {
      unit = this.unitCount++;
      this.traceUnits.set(key, unit);
    }
    return {
      ...s,
      startTimeUnixNano: this.token(unit, s.startTimeUnixNano, `${name} start`),
      endTimeUnixNano: this.token(unit, s.endTimeUnixNano, `${name} end`),
      events: (s.events ?? []).map((e: any) => ({ ...e, timeUnixNano: this.token(unit, e.timeUnixNano, `${name} event time`) })),
    };
  }

  private logRecord(r: any): any {
    const unit = this.unitCount++;
    return {
      ...r,
      timeUnixNano: this.token(unit, r.timeUnixNano, 'log record time'),
      observedTimeUnixNano: this.token(unit, r.observedTimeUnixNano, 'log record observed time'),
    };
  }

  private metric(m: any): any {
    const k = metricDataKey(m);
    if (k === undefined) return m;
    const what = `metric "${m.name ?? ''}"`;
    const points = (m[k].dataPoints ?? []).map((p: any) => {
      const unit = this.unitCount++;
      const out = { ...p, startTimeUnixNano: this.token(unit, p.startTimeUnixNano, `${what} start`), timeUnixNano: this.token(unit, p.timeUnixNano, `${what} time`) };
      if (p.exemplars?.length) out.exemplars = p.exemplars.map((e: any) => ({ ...e, timeUnixNano: this.token(unit, e.timeUnixNano, `${what} exemplar time`) }));
      return out;
    });
    return { ...m, [k]: { ...m[k], dataPoints: points } };
  }

  frame(request: any, encodings: Encoding[], source: string): Frame {
    const units = new U32List();
    const seenUnits = new Set<number>();
    const frame: Frame = { events: countEvents(this.signal, request), units: new Uint32Array(0), byteLength: {} };
    const onTime = (token: number): number => {
      const unit = this.tokenUnit[token - 1];
      if (unit === undefined) throw new Error(`compile: time placeholder ${token} is not one of ours`);
      if (!seenUnits.has(unit)) {
        seenUnits.add(unit);
        units.push(unit);
      }
      return unit;
    };
    for (const enc of encodings) {
      const encoded = enc === 'proto' ? this.proto(request, onTime, source) : this.json(request, onTime, source);
      frame[enc] = encoded;
      frame.byteLength[enc] = encoded.bytes.length;
    }
    frame.units = units.freeze();
    return frame;
  }


  private proto(request: any, onTime: (token: number) => number, source: string): EncodedFrame {
    const u8 = requestType(this.signal).encode(request).finish();
    const bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    const traceIds = new U32List(), spanIds = new U32List(), times = new U32List();
    const { idRegen, timestamps } = this.opts;
    walkSites(this.signal, bytes, (kind, at, len) => {
      if (kind === SITE_TIME) {
        if (!timestamps) return;
        const token = bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * TWO32;
        const rel = this.tokenRel[token - 1]!;
        const hi = Math.floor(rel / TWO32);
        times.push(at, onTime(token), rel - hi * TWO32, hi);
      } else if (idRegen) {
        const trace = kind === SITE_TRACE_ID;
        const g = (trace ? this.traceGroups : this.spanGroups).group(bytes, at, len, source);
        if (g >= 0) (trace ? traceIds : spanIds).push(at, g * (trace ? 4 : 2));
      }
    });
    return { bytes, traceIds: traceIds.freeze(), spanIds: spanIds.freeze(), times: times.freeze() };
  }

  /** JSON sites come as character offsets; converted to byte offsets (non-ASCII text is multi-byte). */
  private json(request: any, onTime: (token: number) => number, source: string): EncodedFrame {
    const { idRegen, timestamps } = this.opts;
    const sites: { at: number; kind: number; id?: Uint8Array; token?: number }[] = [];
    const text = encodeOtlpJson(this.signal, request, {
      fixedWidthTimes: timestamps,
      onSite: (s) => {
        if (s.kind === 'time') {
          if (timestamps) sites.push({ at: s.offset, kind: SITE_TIME, token: Number(s.value) });
        } else if (idRegen) {
          sites.push({ at: s.offset, kind: s.kind === 'traceId' ? SITE_TRACE_ID : SITE_SPAN_ID, id: s.value as Uint8Array });
        }
      },
    });
    const bytes = Buffer.from(text, 'utf8');
    const traceIds = new U32List(), spanIds = new U32List(), times = new U32List();
    let chars = 0, byteAt = 0;
    for (const s of sites) {
      byteAt += Buffer.byteLength(text.slice(chars, s.at));
      chars = s.at;
      if (s.kind === SITE_TIME) {
        const { sec, nsec } = splitSec(this.tokenRel[s.token! - 1]!);
        times.push(byteAt, onTime(s.token!), nsec, sec);
      } else {
        const trace = s.kind === SITE_TRACE_ID;
        const groups = trace ? this.traceGroups : this.spanGroups;
        const g = groups.group(s.id!, 0, s.id!.length, source);
        if (g >= 0) (trace ? traceIds : spanIds).push(byteAt, g * (trace ? 4 : 2));
      }
    }
    return { bytes, traceIds: traceIds.freeze(), spanIds: spanIds.freeze(), times: times.freeze() };
  }
}

/** A normalized relative time: integer ns in [0, 2^53); absent = 0. */
function relative(value: unknown, what: string, source: string): number {
  if (value === undefined || value === null) return 0;
  let n = NaN;
  try {
    // Long (fixed64 from protobufjs) or a decimal string
    n = typeof value === 'object' || typeof value === 'string' ? Number(BigInt(String(value))) : Number(value);
  } catch {
    // not an integer: reported below
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TemplateError(`${what} ${String(value)} is not a relative time (integer ns in [0, 2^53))`, { file: source, code: 'ERR_TEMPLATE_TIME' });
  }
  return n;
}
