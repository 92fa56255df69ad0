import protobuf from 'protobufjs';
import { requestType } from './proto.js';
import type { Signal } from './signals.js';

/**
 * OTLP/JSON writer (OTLP spec, "JSON Protobuf Encoding"): lowerCamelCase keys, trace and
 * span ids as hex (every other bytes field base64), 64-bit integers as decimal strings,
 * enums as integers, default values omitted (proto3 JSON) except oneof / `optional`
 * members, whose presence is meaningful.
 *
 * Used for decoded objects: the generator's `.json` files. Compiled JSON frames come
 * from the wire bytes instead (pipeline/wire-json.ts); `onSite` and `fixedWidthTimes`
 * remain so tests can build the same frames this way as the reference for wire-json.
 */

export type JsonSiteKind = 'traceId' | 'spanId' | 'time';

export interface JsonSite {
  kind: JsonSiteKind;
  /** Character offset of the first character inside the quotes. */
  offset: number;
  /** The id bytes (traceId/spanId) or the time value as written (number, Long or string). */
  value: Uint8Array | number | string | protobuf.Long;
}

export interface JsonEncodeOptions {
  /** Called for every non-empty trace id / span id and every time value, in output order. */
  onSite?: (site: JsonSite) => void;
  /**
   * Write every time as exactly 19 digits (zero-padded), the width of any current
   * time in ns, so a stamper can overwrite it in place.
   */
  fixedWidthTimes?: boolean;
}

const TIME_FIELDS = new Set(['timeUnixNano', 'startTimeUnixNano', 'endTimeUnixNano', 'observedTimeUnixNano']);
const ID_FIELDS: Record<string, JsonSiteKind> = { traceId: 'traceId', spanId: 'spanId', parentSpanId: 'spanId' };
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const TIME_WIDTH = 19;

/** Encodes a decoded Export*ServiceRequest (protobufjs shape) as OTLP/JSON. */
export function encodeOtlpJson(signal: Signal, request: unknown, opts: JsonEncodeOptions = {}): string {
  const w = new JsonWriter(opts);
  w.message(requestType(signal), request as Record<string, unknown>);
  return w.parts.join('');
}

class JsonWriter {
  readonly parts: string[] = [];
  private length = 0;
  private readonly onSite: JsonEncodeOptions['onSite'];
  private readonly fixedWidthTimes: boolean;

  constructor(opts: JsonEncodeOptions) {
    this.onSite = opts.onSite;
    this.fixedWidthTimes = opts.fixedWidthTimes === true;
  }

  private put(s: string): void {
    this.parts.push(s);
    this.length += s.length;
  }

  message(type: protobuf.Type, msg: Record<string, unknown>): void {
    this.put('{');
    let first = true;
    for (const field of type.fieldsArray) {
      const value = msg[field.name];
      if (!isPresent(field, value, msg)) continue;
      this.put(first ? `"${field.name}":` : `,"${field.name}":`);
      first = false;
      if (field.repeated) {
        const list = value as unknown[];
        this.put('[');
        for (let i = 0; i < list.length; i++) {
          if (i > 0) this.put(',');
          this.value(field, list[i]);
        }
        this.put(']');
      } else {
        this.value(field, value);
      }
    }
    this.put('}');
  }

  private value(field: protobuf.Field, value: unknown): void {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return this.message(rt, value as Record<string, unknown>);
    if (rt instanceof protobuf.Enum) return this.put(String(typeof value === 'string' ? rt.values[value] ?? 0 : value));
    if (field.type === 'bytes') return this.bytes(field.name, value as Uint8Array | string);
    if (LONG_TYPES.has(field.type)) return this.long(field, value as number | string | protobuf.Long);
    if (field.type === 'double' || field.type === 'float') return this.put(doubleJson(value as number));
    if (field.type === 'string') return this.put(JSON.stringify(value));
    this.put(String(value));
  }

  private bytes(name: string, value: Uint8Array | string): void {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const kind = ID_FIELDS[name];
    if (kind === undefined) {
      this.put(`"${bytes.toString('base64')}"`);
      return;
    }
    this.put('"');
    this.onSite?.({ kind, offset: this.length, value: bytes });
    this.put(bytes.toString('hex'));
    this.put('"');
  }

  private long(field: protobuf.Field, value: number | string | protobuf.Long): void {
    let text = longToString(value, field.type === 'uint64' || field.type === 'fixed64');
    this.put('"');
    if (TIME_FIELDS.has(field.name)) {
      if (this.fixedWidthTimes) {
        if (text.length > TIME_WIDTH) throw new RangeError(`${field.name} ${text} is wider than ${TIME_WIDTH} digits`);
        text = text.padStart(TIME_WIDTH, '0');
      }
      this.onSite?.({ kind: 'time', offset: this.length, value });
    }
    this.put(text);
    this.put('"');
  }
}

/** proto3 JSON omits defaults, but a set oneof member (incl. proto3 `optional`) is always written. */
function isPresent(field: protobuf.Field, value: unknown, msg: object): boolean {
  if (value === null || value === undefined) return false;
  if (field.repeated) return (value as unknown[]).length > 0;
  // protobufjs messages carry defaults on the prototype: only an own property is set.
  if (field.partOf) return Object.hasOwn(msg, field.name);
  if (field.resolvedType instanceof protobuf.Type) return true;
  switch (typeof value) {
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0 && !(LONG_TYPES.has(field.type) && value === '0');
    case 'boolean':
      return value;
    case 'object':
      // bytes (Uint8Array, or protobufjs' shared empty-array default) or a Long
      if ('length' in value) return (value as ArrayLike<number>).length > 0;
      return !isLongZero(value as protobuf.Long);
    default:
      return true;
  }
}

function isLongZero(v: protobuf.Long): boolean {
  return v.low === 0 && v.high === 0;
}

function longToString(value: number | string | protobuf.Long, unsigned: boolean): string {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(Math.trunc(value));
  if (typeof value === 'string') return value;
  const lo = BigInt(value.low >>> 0);
  const hi = BigInt(value.high >>> 0);
  let n = (hi << 32n) | lo;
  if (!unsigned && !value.unsigned && value.high < 0) n -= 1n << 64n;
  return n.toString();
}

function doubleJson(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return String(v);
}
