import { TemplateError } from '../errors.js';
import { otlpRoot } from '../otlp/proto.js';
import { WireReader } from '../otlp/wire/reader.js';
import { varintLen, writeVarint } from '../otlp/wire/write.js';

/**
 * Spans rewritten at load and spliced into a new request:
 * - the seed tool's span attributes `_template.start_offset_nanos` /
 *   `_template.duration_nanos`: the (rare) spans carrying `_template.*` attributes are
 *   decoded one at a time, placed and stripped, and re-encoded. A span is "placed" when
 *   it had an offset or duration: its times are then relative already and stay out of
 *   its trace's rebasing; its events keep their distance to the span start.
 * - spans without an end time that start after 0 get an end time equal to their start
 *   (appended: protobuf fields may come in any order), so they never end before they start.
 */

const START_ATTR = '_template.start_offset_nanos';
const DURATION_ATTR = '_template.duration_nanos';
const TEMPLATE_PREFIX = '_template.';
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

export interface TemplatedSpan {
  start: number;
  end: number;
  where: string;
}

export interface EndlessSpan {
  start: number;
  end: number;
  /** Offset of its start time's 8 bytes. */
  startAt: number;
}

const END_TIME_TAG = 8 * 8 + 1; // Span.end_time_unix_nano, fixed64

/** A new request with those spans rewritten; `placed` holds the payload offsets of placed spans in it. */
export function rebuildSpans(buf: Buffer, spans: TemplatedSpan[], endless: EndlessSpan[], source: string): { bytes: Buffer; placed: Set<number> } {
  const type = otlpRoot().lookupType('opentelemetry.proto.trace.v1.Span');
  const replaced = new Map<number, { bytes: Uint8Array; placed: boolean }>();
  for (const s of spans) {
    const span = type.decode(buf.subarray(s.start, s.end)) as any;
    const placed = place(span, s.where, source);
    replaced.set(s.start, { bytes: type.encode(span).finish(), placed });
  }
  for (const s of endless) {
    const bytes = Buffer.concat([buf.subarray(s.start, s.end), Buffer.of(END_TIME_TAG), buf.subarray(s.startAt, s.startAt + 8)]);
    replaced.set(s.start, { bytes, placed: false });
  }
  const parts: Uint8Array[] = [];
  const placed = new Set<number>();
  let pos = 0;
  const put = (b: Uint8Array) => {
    parts.push(b);
    pos += b.length;
  };
  // request (1) → resource spans (2) → scope spans (2) → span: containers are rebuilt with new lengths
  const size = (start: number, end: number, depth: number): number => {
    let n = 0;
    const r = new WireReader(buf, start, end);
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      if (t !== (depth === 0 ? 0x0a : 0x12)) {
        r.skip(t & 7);
        n += r.pos - at;
        continue;
      }
      const [s, e] = r.bytes();
      const inner = depth === 2 ? (replaced.get(s)?.bytes.length ?? e - s) : size(s, e, depth + 1);
      n += 1 + varintLen(inner) + inner;
    }
    return n;
  };
  const write = (start: number, end: number, depth: number): void => {
    const r = new WireReader(buf, start, end);
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      if (t !== (depth === 0 ? 0x0a : 0x12)) {
        r.skip(t & 7);
        put(buf.subarray(at, r.pos));
        continue;
      }
      const [s, e] = r.bytes();
      const rep = depth === 2 ? replaced.get(s) : undefined;
      const inner = depth === 2 ? (rep?.bytes.length ?? e - s) : size(s, e, depth + 1);
      const head = new Uint8Array(1 + varintLen(inner));
      head[0] = t;
      writeVarint(head, 1, inner);
      put(head);
      if (depth < 2) write(s, e, depth + 1);
      else {
        if (rep?.placed) placed.add(pos);
        put(rep ? rep.bytes : buf.subarray(s, e));
      }
    }
  };
  write(0, buf.length, 0);
  return { bytes: Buffer.concat(parts), placed };
}

/** Applies and strips the attributes of one decoded span; true if its times were set. */
function place(span: any, where: string, source: string): boolean {
  const attrs: any[] = span.attributes;
  let offset: bigint | undefined;
  let duration: bigint | undefined;
  for (const a of attrs) {
    if (a.key === START_ATTR) offset = templateInt(a.value, `${where}: ${START_ATTR}`, source);
    else if (a.key === DURATION_ATTR) duration = templateInt(a.value, `${where}: ${DURATION_ATTR}`, source);
  }
  span.attributes = attrs.filter((a) => !(typeof a.key === 'string' && a.key.startsWith(TEMPLATE_PREFIX)));
  if (offset === undefined && duration === undefined) return false;
  const oldStart = big(span.startTimeUnixNano);
  const oldEnd = big(span.endTimeUnixNano);
  const start = offset ?? 0n;
  const end = start + (duration ?? (oldEnd > oldStart && oldStart > 0n ? oldEnd - oldStart : 0n));
  if (end > MAX) {
    throw new TemplateError(`${where}: ${START_ATTR} + ${DURATION_ATTR} exceeds 2^53 ns`, { file: source, code: 'ERR_TEMPLATE_MALFORMED' });
  }
  span.startTimeUnixNano = Number(start);
  span.endTimeUnixNano = Number(end);
  for (const ev of span.events ?? []) {
    const t = big(ev.timeUnixNano);
    const moved = oldStart > 0n && t > oldStart ? start + (t - oldStart) : start;
    ev.timeUnixNano = moved > MAX ? Number(start) : Number(moved);
  }
  return true;
}

/** A decoded fixed64 (Long, number or absent) as bigint. */
function big(v: any): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
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
