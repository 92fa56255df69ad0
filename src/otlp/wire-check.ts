import protobuf from 'protobufjs';
import { WireError } from '../errors.js';
import { METRIC_DATA } from './wire/fields.js';
import { WireReader } from './wire/reader.js';
import { requestType } from './proto.js';
import type { Signal } from './signals.js';

/**
 * Checks encoded protobuf against a message type before protobufjs decodes it.
 *
 * protobufjs trusts its input: a known field with the wrong wire type is read as
 * whatever the schema says, a packed run that does not divide evenly reads into the next
 * field, and errors come out as RangeErrors without a usable offset. Walking the bytes
 * first with the same rules gives a WireError at the exact byte instead, and once this
 * passes, decoding cannot fail.
 */

const MAX_DEPTH = 64;
const LONG_VARINTS = new Set(['int64', 'uint64', 'sint64']);
const PACKABLE = 1;
/** A varint protobufjs reads as 32 bits (see check32). */
const VARINT32 = 2;

/**
 * A message type's fields as arrays indexed by field number, so the walk over millions
 * of fields does no Map or property lookups.
 */
interface Rules {
  type: protobuf.Type;
  /** Wire type of one value (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32); -1 = unknown field. */
  wireType: Int8Array;
  /** PACKABLE (repeated scalars may also arrive packed: wire type 2 holding values back to back), VARINT32. */
  flags: Uint8Array;
  messages: (Rules | undefined)[];
  names: string[];
}

const rulesCache = new WeakMap<protobuf.Type, Rules>();

function wireTypeOf(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return 2;
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  switch (field.type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return 0; // int32, int64, uint32, uint64, sint32, sint64, bool
  }
}

function rulesOf(type: protobuf.Type): Rules {
  let rules = rulesCache.get(type);
  if (rules) return rules;
  const size = Math.max(0, ...type.fieldsArray.map((f) => f.id)) + 1;
  rules = { type, wireType: new Int8Array(size).fill(-1), flags: new Uint8Array(size), messages: new Array(size).fill(undefined), names: new Array(size).fill('') };
  // Cached before the fields, so recursive types (AnyValue ↔ ArrayValue) resolve to it.
  rulesCache.set(type, rules);
  for (const field of type.fieldsArray) {
    const wireType = wireTypeOf(field);
    rules.wireType[field.id] = wireType;
    rules.flags[field.id] = (field.repeated && wireType !== 2 ? PACKABLE : 0) | (wireType === 0 && !LONG_VARINTS.has(field.type) ? VARINT32 : 0);
    rules.messages[field.id] = field.resolvedType instanceof protobuf.Type ? rulesOf(field.resolvedType) : undefined;
    rules.names[field.id] = field.name;
  }
  return rules;
}

/** Throws a WireError naming the byte offset of the first problem in `buf` read as `type`. */
export function checkWire(buf: Uint8Array, type: protobuf.Type): void {
  checkMessage(new WireReader(buf), rulesOf(type), 0);
}

/**
 * Checks the message in [r.pos, r.end); one reader serves every level, its `end`
 * narrowed per nested message. One-byte tags and lengths (nearly all of them) are read
 * inline; anything longer takes the general path with its checks and messages.
 */
function checkMessage(r: WireReader, rules: Rules, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH} levels`, r.pos);
  const buf = r.buf;
  const end = r.end;
  while (r.pos < end) {
    const at = r.pos;
    let tag = buf[at]!;
    if (tag >= 8 && tag < 0x80) {
      r.pos = at + 1;
    } else {
      tag = r.tag();
      check32(r.pos - at, at, 'tag');
    }
    const id = tag > 0x7fffffff ? Math.floor(tag / 8) : tag >>> 3;
    const wireType = tag % 8;
    const expected = id < rules.wireType.length ? rules.wireType[id]! : -1;
    if (expected < 0) {
      skipUnknown(r, wireType, at);
      continue;
    }
    if (wireType === expected) {
      if (wireType !== 2) {
        skipValue(r, wireType, (rules.flags[id]! & VARINT32) !== 0);
        continue;
      }
      const p = r.pos;
      const len = buf[p]!;
      let payloadEnd: number;
      if (p < end && len < 0x80 && len <= end - p - 1) {
        r.pos = p + 1;
        payloadEnd = p + 1 + len;
      } else {
        payloadEnd = lengthDelimited(r);
      }
      const message = rules.messages[id];
      if (message) {
        r.end = payloadEnd;
        checkMessage(r, message, depth + 1);
        r.end = end;
      }
      r.pos = payloadEnd;
    } else if (wireType === 2 && (rules.flags[id]! & PACKABLE) !== 0) {
      const packedEnd = lengthDelimited(r);
      const varint32 = (rules.flags[id]! & VARINT32) !== 0;
      if (expected === 0) {
        r.end = packedEnd;
        while (r.pos < packedEnd) skipValue(r, 0, varint32);
        r.end = end;
      } else {
        const size = expected === 1 ? 8 : 4;
        const rest = (packedEnd - r.pos) % size;
        if (rest !== 0) throw new WireError(`truncated ${size}-byte field`, packedEnd - rest);
        r.pos = packedEnd;
      }
    } else {
      throw new WireError(`field ${rules.names[id]} (${id}) of ${rules.type.name} has wire type ${wireType}, expected ${expected}`, at);
    }
  }
}

function skipUnknown(r: WireReader, wireType: number, at: number): void {
  if (wireType === 0 || wireType === 1 || wireType === 2 || wireType === 5) skipValue(r, wireType, false);
  else throw new WireError(`unsupported wire type ${wireType}`, at);
}

function skipValue(r: WireReader, wireType: number, varint32: boolean): void {
  const at = r.pos;
  if (wireType === 0) {
    if (at < r.end && r.buf[at]! < 0x80) {
      r.pos = at + 1;
      return;
    }
    const len = skipVarint(r);
    if (varint32 && len !== 10) check32(len, at, 'varint');
  } else if (wireType === 2) {
    r.pos = lengthDelimited(r);
  } else {
    r.skip(wireType);
  }
}

/** Reads a length prefix like WireReader.len (pos at the payload; returns its end), at most 5 bytes long. */
function lengthDelimited(r: WireReader): number {
  const at = r.pos;
  const end = r.len();
  check32(r.pos - at, at, 'length');
  return end;
}

/**
 * protobufjs reads tags, lengths and 32-bit fields as at most 5 varint bytes and, past
 * that, blindly skips to byte 10; a (legal but odd) 6-9 byte varint would derail it.
 */
function check32(len: number, at: number, what: string): void {
  if (len > 5) throw new WireError(`${what} varint of ${len} bytes where at most 5 are allowed`, at);
}

/** Any 64-bit varint (negative int64s take 10 bytes), unlike WireReader.varint's 2^53 cap; returns its length. */
function skipVarint(r: WireReader): number {
  const start = r.pos;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.end) throw new WireError('truncated varint', start);
    const b = r.buf[r.pos++]!;
    if (b < 0x80) {
      if (i === 9 && b > 1) throw new WireError('varint exceeds 64 bits', start);
      return i + 1;
    }
  }
  throw new WireError('varint longer than 10 bytes', start);
}

/**
 * Which signal the first item in an encoded request looks like, for telling users they
 * loaded a metrics file into a traces pipeline. The three requests share their outer
 * shape (field 1 → field 2 → field 2), so the judgement is made on the innermost message:
 * a Span carries 16- and 8-byte ids, a Metric a name and one data oneof, a LogRecord
 * fixed64 times and a varint severity. Returns undefined when unsure or not valid as that
 * signal; a guess equal to `expected` is returned without the (full) validity check.
 */
export function guessWireSignal(buf: Uint8Array, expected?: Signal): Signal | undefined {
  let item: [number, number] | undefined;
  try {
    item = firstItem(buf);
  } catch {
    return undefined;
  }
  if (!item) return undefined;
  const fields = new Map<number, { wireType: number; len: number }>();
  try {
    const r = new WireReader(buf, item[0], item[1]);
    while (!r.done()) {
      const tag = r.tag();
      const wireType = tag % 8;
      let len = -1;
      if (wireType === 2) {
        const [s, e] = r.bytes();
        len = e - s;
      } else {
        skipUnknown(r, wireType, r.pos);
      }
      if (!fields.has(Math.floor(tag / 8))) fields.set(Math.floor(tag / 8), { wireType, len });
    }
  } catch {
    return undefined;
  }
  const f = (id: number) => fields.get(id);
  let guess: Signal | undefined;
  if (f(1)?.len === 16 && f(2)?.len === 8) guess = 'traces';
  else if (f(1)?.wireType === 2 && METRIC_DATA.some((d) => f(d.field)?.wireType === 2)) guess = 'metrics';
  else if (f(1)?.wireType === 1 || f(11)?.wireType === 1 || f(2)?.wireType === 0) guess = 'logs';
  if (!guess || guess === expected) return guess;
  try {
    checkWire(buf, requestType(guess));
  } catch {
    return undefined;
  }
  return guess;
}

/** [start, end) of request.1[0].2[0].2[0], the first span, metric or log record. */
function firstItem(buf: Uint8Array): [number, number] | undefined {
  let range: [number, number] = [0, buf.length];
  for (const id of [1, 2, 2]) {
    const found = findField(buf, range, id);
    if (!found) return undefined;
    range = found;
  }
  return range;
}

function findField(buf: Uint8Array, [start, end]: [number, number], id: number): [number, number] | undefined {
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const tag = r.tag();
    if (tag === id * 8 + 2) return r.bytes();
    skipUnknown(r, tag % 8, r.pos);
  }
  return undefined;
}
