import { WireError } from '../../errors.js';
import type { Signal } from '../signals.js';
import { SITE_SPAN_ID, SITE_TRACE_ID } from './fields.js';
import {
  ANY_STRING, BOOL, BYTES, DOUBLE, FIXED32, FIXED64, INT64, type JsonField, type JsonMessage, MESSAGE, schemaOf, SFIXED64, SINT32, SPAN_ID, STRING, TIME,
  TRACE_ID, UINT32, UINT64,
} from './json-schema.js';
import { digitCount, JsonText, QUOTE } from './json-text.js';
import { WireReader } from './reader.js';
import { hi, lo, negate64, readFixed64, varint64 } from './u64.js';
import { TWO32 } from './write.js';

/**
 * OTLP/JSON straight from an encoded Export*ServiceRequest, without decoding it into
 * objects: the bytes are walked along the OTLP schema and the JSON is written byte by
 * byte. The output is what `encodeOtlpJson` writes for the protobufjs decoding of the
 * same bytes (declaration order, defaults omitted except oneof members, last value of a
 * repeated singular field wins, packed and unpacked scalars both read), so the two are
 * interchangeable; this one needs no object per field and reports byte offsets.
 *
 * The request is walked twice: once to measure, once to write into a buffer of exactly
 * that size. A growable buffer would hold up to twice a large frame at its peak, and a
 * whole unsplit template is one frame.
 */

/** Receives the id and time values as they are written (second walk only). */
export interface JsonSiteSink {
  /** A non-empty id written as hex at byte `at`; its bytes are `src[srcAt, srcAt + len)`. */
  id(kind: typeof SITE_TRACE_ID | typeof SITE_SPAN_ID, at: number, src: Uint8Array, srcAt: number, len: number): void;
  /** A time written as digits at byte `at`; its fixed64 is at `src[srcAt..]`. */
  time(at: number, srcAt: number): void;
  /**
   * An AnyValue.string_value whose content ends at byte `at` (its closing quote); it was
   * written from `src[srcAt, srcAt + len)`.
   */
  string?(at: number, srcAt: number, len: number): void;
  /** A value site (see WireJsonOptions.valueAt) written as VALUE_JSON_WIDTH characters at byte `at`. */
  value?(at: number, srcAt: number): void;
}

export interface WireJsonOptions {
  /** Write every time as 19 zero-padded digits (and always, also 0) so it can be stamped in place. */
  fixedWidthTimes?: boolean;
  /**
   * Is the number (double, 64-bit integer) read at `srcAt` a value site (metrics
   * continuity)? Then it is written, also when 0, as an unquoted JSON number padded with
   * leading spaces to VALUE_JSON_WIDTH characters, which a stamper can overwrite in place.
   */
  valueAt?: (srcAt: number) => boolean;
  sites?: JsonSiteSink;
}

/** Characters of a value site in OTLP/JSON: the longest double JavaScript writes ("-2.2250738585072014e-308"). */
export const VALUE_JSON_WIDTH = 24;

/** Encodes one Export*ServiceRequest (wire bytes) as OTLP/JSON. Throws WireError on malformed input. */
export function wireToJson(signal: Signal, src: Uint8Array, opts: WireJsonOptions = {}): Buffer {
  const schema = schemaOf(signal);
  const w = new JsonWriter(src, opts.fixedWidthTimes === true, opts.valueAt);
  w.message(schema, 0, src.length, 0);
  const size = w.pos;
  const out = Buffer.allocUnsafe(size);
  w.begin(out, opts.sites);
  w.message(schema, 0, src.length, 0);
  if (w.pos !== size) throw new Error(`wire-json: wrote ${w.pos} bytes, measured ${size}`);
  return out;
}

/** As wire-check.ts: deeper nesting (AnyValue in AnyValue …) is malformed for us. */
const MAX_DEPTH = 64;
const TIME_WIDTH = 19;

interface Level {
  first: Int32Array;
  last: Int32Array;
  reader: WireReader;
}

class JsonWriter extends JsonText {
  private sites: JsonSiteSink | undefined;
  private readonly view: DataView;
  /** Per nesting depth: where each field of the message at that depth occurs, and a reader to revisit them. */
  private readonly levels: Level[] = [];

  constructor(src: Uint8Array, private readonly fixedWidthTimes: boolean, private readonly valueAt: ((srcAt: number) => boolean) | undefined) {
    super(src);
    this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  }

  begin(out: Buffer, sites: JsonSiteSink | undefined): void {
    this.out = out;
    this.sites = sites;
    this.pos = 0;
  }

  message(m: JsonMessage, start: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH} levels`, start);
    const n = m.fields.length;
    let level = this.levels[depth];
    if (!level || level.first.length < n) {
      // One reader per depth over the whole buffer, not one per message (garbage is memory
      // here): the scan checks each field against the message end itself.
      level = { first: new Int32Array(Math.max(n, 16)), last: new Int32Array(Math.max(n, 16)), reader: new WireReader(this.src) };
      this.levels[depth] = level;
    }
    const { first, last, reader: r } = level;
    first.fill(-1, 0, n);
    r.pos = start;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag();
      const no = Math.floor(t / 8);
      const i = no < m.byNumber.length ? m.byNumber[no]! : -1;
      if ((t & 7) === 0) varint64(r);
      else r.skip(t & 7);
      if (r.pos > end) throw new WireError(`field ${no} runs past the end of its ${m.name}`, at);
      if (i < 0) continue; // unknown fields are dropped, as protobufjs does
      if (first[i]! < 0) first[i] = at;
      last[i] = at;
    }
    this.byte(0x7b);
    let written = 0;
    for (let i = 0; i < n; i++) {
      if (first[i]! < 0) continue;
      const f = m.fields[i]!;
      const mark = this.pos;
      this.bytes(written === 0 ? f.key : f.nextKey);
      const ok = f.repeated ? this.repeated(m, f, first[i]!, last[i]!, level.reader, depth) : this.single(m, f, last[i]!, level.reader, depth);
      if (ok) written++;
      else this.pos = mark; // a default value: proto3 JSON leaves the field out
    }
    this.byte(0x7d);
  }

  private single(m: JsonMessage, f: JsonField, at: number, r: WireReader, depth: number): boolean {
    r.pos = at;
    const wire = r.tag() & 7;
    if (wire !== f.wire) throw wireTypeError(m, f, wire, at);
    return this.value(f, r, !f.oneof, depth);
  }

  private repeated(m: JsonMessage, f: JsonField, from: number, to: number, r: WireReader, depth: number): boolean {
    r.pos = from;
    let count = 0;
    this.byte(0x5b);
    while (r.pos <= to) {
      const at = r.pos;
      const t = r.tag();
      const wire = t & 7;
      if (Math.floor(t / 8) !== f.number) {
        if (wire === 0) varint64(r);
        else r.skip(wire);
        continue;
      }
      if (wire === f.wire) {
        if (count++ > 0) this.byte(0x2c);
        this.value(f, r, false, depth);
      } else if (wire === 2 && f.wire !== 2) {
        const [s, e] = r.bytes();
        const packed = new WireReader(this.src, s, e);
        while (!packed.done()) {
          if (count++ > 0) this.byte(0x2c);
          this.value(f, packed, false, depth);
        }
      } else {
        throw wireTypeError(m, f, wire, at);
      }
    }
    this.byte(0x5d);
    return count > 0;
  }

  /** Writes the value at `r` (after its tag); returns false, writing nothing, for a default that `omitDefault` leaves out. */
  private value(f: JsonField, r: WireReader, omitDefault: boolean, depth: number): boolean {
    switch (f.kind) {
      case MESSAGE: {
        const [s, e] = r.bytes();
        this.message(f.message!, s, e, depth + 1);
        return true;
      }
      case STRING: {
        const [s, e] = r.bytes();
        if (omitDefault && s === e) return false;
        this.string(s, e);
        return true;
      }
      case ANY_STRING: {
        const [s, e] = r.bytes();
        if (omitDefault && s === e) return false;
        this.string(s, e);
        this.sites?.string?.(this.pos - 1, s, e - s);
        return true;
      }
      case BYTES: {
        const [s, e] = r.bytes();
        if (omitDefault && s === e) return false;
        this.ascii(`"${Buffer.from(this.src.buffer, this.src.byteOffset + s, e - s).toString('base64')}"`);
        return true;
      }
      case TRACE_ID:
      case SPAN_ID: {
        const [s, e] = r.bytes();
        if (omitDefault && s === e) return false;
        this.hexId(f.kind === TRACE_ID ? SITE_TRACE_ID : SITE_SPAN_ID, s, e);
        return true;
      }
      case TIME:
        return this.time(r, omitDefault);
      case DOUBLE: {
        if (this.valueAt?.(r.pos)) return this.valueSite(f.kind, r);
        const v = this.view.getFloat64(r.advance(8), true);
        if (omitDefault && v === 0) return false;
        this.ascii(doubleJson(v));
        return true;
      }
      case FIXED32: {
        const v = this.view.getUint32(r.advance(4), true);
        if (omitDefault && v === 0) return false;
        this.uint(v);
        return true;
      }
      case FIXED64:
      case SFIXED64: {
        if (this.valueAt?.(r.pos)) return this.valueSite(f.kind, r);
        readFixed64(this.view, r.advance(8));
        return this.long(f.kind === SFIXED64, omitDefault);
      }
      case INT64:
      case UINT64:
        if (this.valueAt?.(r.pos)) return this.valueSite(f.kind, r);
        varint64(r);
        return this.long(f.kind === INT64, omitDefault);
      default:
        varint64(r);
        // protobufjs reads these as 32 bits: the low half of whatever the varint holds
        if (omitDefault && lo === 0) return false;
        if (f.kind === BOOL) this.ascii(lo !== 0 ? 'true' : 'false');
        else if (f.kind === UINT32) this.uint(lo);
        else this.int(f.kind === SINT32 ? ((lo >>> 1) ^ -(lo & 1)) | 0 : lo | 0);
        return true;
    }
  }

  /** A value site: the number at `r` as VALUE_JSON_WIDTH characters, right-aligned; reported to the sink. */
  private valueSite(kind: number, r: WireReader): boolean {
    const at = r.pos;
    let text: string;
    if (kind === DOUBLE) text = doubleJson(this.view.getFloat64(r.advance(8), true));
    else {
      if (kind === INT64 || kind === UINT64) varint64(r);
      else readFixed64(this.view, r.advance(8));
      const signed = (kind === SFIXED64 || kind === INT64) && hi >= 0x80000000;
      text = String(signed ? (hi - TWO32) * TWO32 + lo : hi * TWO32 + lo);
    }
    if (text.length > VALUE_JSON_WIDTH) throw new RangeError(`a value ${text} is wider than ${VALUE_JSON_WIDTH} characters`);
    this.sites?.value?.(this.pos, at);
    for (let k = text.length; k < VALUE_JSON_WIDTH; k++) this.byte(0x20);
    this.ascii(text);
    return true;
  }

  /** The 64-bit value in lo/hi as a quoted decimal. */
  private long(signed: boolean, omitDefault: boolean): boolean {
    if (omitDefault && lo === 0 && hi === 0) return false;
    this.byte(QUOTE);
    if (signed && hi >= 0x80000000) {
      this.byte(0x2d);
      negate64();
    }
    this.ascii64();
    this.byte(QUOTE);
    return true;
  }

  /** lo/hi as unsigned decimal digits. */
  private ascii64(): void {
    if (hi < 0x200000) this.uint(hi * TWO32 + lo);
    else this.ascii(((BigInt(hi) << 32n) | BigInt(lo)).toString());
  }

  private time(r: WireReader, omitDefault: boolean): boolean {
    const at = r.advance(8);
    readFixed64(this.view, at);
    if (!this.fixedWidthTimes) {
      if (omitDefault && lo === 0 && hi === 0) return false;
      this.byte(QUOTE);
      this.sites?.time(this.pos, at);
      this.ascii64();
      this.byte(QUOTE);
      return true;
    }
    // below 2^53 (every time a template holds) without a string per value
    const text = hi < 0x200000 ? undefined : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
    if (text && text.length > TIME_WIDTH) throw new RangeError(`a time of ${text} ns is wider than ${TIME_WIDTH} digits`);
    this.byte(QUOTE);
    this.sites?.time(this.pos, at);
    const digits = text ? text.length : digitCount(hi * TWO32 + lo);
    for (let k = digits; k < TIME_WIDTH; k++) this.byte(0x30);
    this.ascii64();
    this.byte(QUOTE);
    return true;
  }

  private hexId(kind: typeof SITE_TRACE_ID | typeof SITE_SPAN_ID, s: number, e: number): void {
    this.byte(QUOTE);
    if (this.out) this.sites?.id(kind, this.pos, this.src, s, e - s);
    this.hex(s, e);
    this.byte(QUOTE);
  }
}

function wireTypeError(m: JsonMessage, f: JsonField, wire: number, at: number): WireError {
  return new WireError(`field ${f.name} (${f.number}) of ${m.name} has wire type ${wire}, expected ${f.wire}`, at);
}

function doubleJson(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return String(v);
}
