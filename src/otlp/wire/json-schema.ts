import protobuf from 'protobufjs';
import { requestType } from '../proto.js';
import type { Signal } from '../signals.js';

/**
 * The OTLP schema as wire-json.ts walks it: per message, its fields in declaration order
 * with how each is read from the wire and written as JSON. Built once from the protobufjs
 * definitions of proto/, so it cannot drift from them; no data is decoded with protobufjs.
 */

// Value kinds: how one field is read from the wire and written as JSON.
export const MESSAGE = 0, STRING = 1, BYTES = 2, TRACE_ID = 3, SPAN_ID = 4, BOOL = 5, INT32 = 6, UINT32 = 7, SINT32 = 8;
export const INT64 = 9, UINT64 = 10, FIXED64 = 11, SFIXED64 = 12, TIME = 13, DOUBLE = 14, FIXED32 = 15;
/** AnyValue.string_value: a STRING whose offsets the site sink may want (attribute digit sites). */
export const ANY_STRING = 16;

const KIND_BY_TYPE: Record<string, number> = {
  string: STRING, bytes: BYTES, bool: BOOL, int32: INT32, uint32: UINT32, sint32: SINT32,
  int64: INT64, uint64: UINT64, fixed64: FIXED64, sfixed64: SFIXED64, double: DOUBLE, fixed32: FIXED32,
};
/** Named like json-encode.ts: ids as hex, times as stampable sites. */
const ID_KINDS: Record<string, number> = { traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: SPAN_ID };
const TIME_FIELDS = new Set(['timeUnixNano', 'startTimeUnixNano', 'endTimeUnixNano', 'observedTimeUnixNano']);

export interface JsonField {
  name: string;
  number: number;
  kind: number;
  /** Wire type of one value; repeated scalars may also come packed (2). */
  wire: number;
  repeated: boolean;
  /** Oneof members (incl. proto3 `optional`) are written whenever present, even as 0. */
  oneof: boolean;
  /** `"name":` and `,"name":` as bytes. */
  key: Buffer;
  nextKey: Buffer;
  message: JsonMessage | undefined;
}

export interface JsonMessage {
  name: string;
  /** In declaration order, the order protobufjs (and so encodeOtlpJson) writes them. */
  fields: JsonField[];
  /** Field number → index in `fields`, -1 if unknown. */
  byNumber: number[];
}

const schemas = new Map<Signal, JsonMessage>();

export function schemaOf(signal: Signal): JsonMessage {
  let s = schemas.get(signal);
  if (!s) schemas.set(signal, (s = buildMessage(requestType(signal), new Map())));
  return s;
}

function buildMessage(type: protobuf.Type, built: Map<protobuf.Type, JsonMessage>): JsonMessage {
  const done = built.get(type);
  if (done) return done; // AnyValue ↔ ArrayValue / KeyValueList recurse
  const m: JsonMessage = { name: type.name, fields: [], byNumber: [] };
  built.set(type, m);
  for (const f of type.fieldsArray) {
    const rt = f.resolvedType;
    let kind: number | undefined;
    if (rt instanceof protobuf.Type) kind = MESSAGE;
    else if (rt instanceof protobuf.Enum) kind = INT32;
    else if (f.type === 'bytes') kind = ID_KINDS[f.name] ?? BYTES;
    else if (f.type === 'fixed64' && TIME_FIELDS.has(f.name)) kind = TIME;
    else if (type.name === 'AnyValue' && f.name === 'stringValue') kind = ANY_STRING;
    else kind = KIND_BY_TYPE[f.type];
    if (kind === undefined) throw new Error(`wire-json: ${type.name}.${f.name} has type ${f.type}, which OTLP/JSON here does not cover`);
    while (m.byNumber.length <= f.id) m.byNumber.push(-1);
    m.byNumber[f.id] = m.fields.length;
    m.fields.push({
      name: f.name, number: f.id, kind, wire: wireOf(kind), repeated: f.repeated, oneof: f.partOf !== null,
      key: Buffer.from(`"${f.name}":`), nextKey: Buffer.from(`,"${f.name}":`),
      message: rt instanceof protobuf.Type ? buildMessage(rt, built) : undefined,
    });
  }
  return m;
}

function wireOf(kind: number): number {
  if (kind <= SPAN_ID || kind === ANY_STRING) return 2;
  if (kind <= UINT64) return 0;
  if (kind <= DOUBLE) return 1;
  return 5;
}
