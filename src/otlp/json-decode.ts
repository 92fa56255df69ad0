import protobuf from 'protobufjs';
import { TemplateError } from '../errors.js';
import { requestType } from './proto.js';
import { SIGNAL_NAMES, SIGNALS, type Signal } from './signals.js';

/**
 * OTLP/JSON → the object `requestType(signal).decode()` would give for the same data.
 *
 * protobufjs' `fromObject` does the building, but it is lenient where OTLP/JSON is
 * special or where bad input must be reported: ids are hex (not base64), snake_case keys
 * are accepted, and garbage in a 64-bit or enum field would silently become 0. So one
 * walk over the parsed JSON, guided by the reflected schema, fixes and checks it in place
 * (the parsed tree is ours, and copying a 100 MB template would double its memory)
 * before `fromObject` builds the messages.
 */

/** Fields holding ids: OTLP/JSON writes them as hex, everything else `bytes` is base64. */
const ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };
const MAX_DEPTH = 64;
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const UNSIGNED = new Set(['uint64', 'fixed64', 'uint32', 'fixed32']);
const DECIMAL = /^-?\d+$/;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

interface Where {
  file: string | undefined;
  line: number | undefined;
}

/** Decodes one OTLP/JSON request (the body of an OTLP/HTTP JSON request, or a `.json` template). */
export function decodeOtlpJson(signal: Signal, text: string, file?: string): any {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(text, err, file);
  }
  return decodeOtlpJsonValue(signal, value, file);
}

/** Like `decodeOtlpJson` for an already parsed value; `line` is for JSON lines input. Mutates `value`. */
export function decodeOtlpJsonValue(signal: Signal, value: unknown, file?: string, line?: number): any {
  const where: Where = { file, line };
  if (!isObject(value)) fail(where, '', `expected a JSON object holding ${SIGNALS[signal].resources}, got ${kindOf(value)}`);
  const other = jsonSignal(value);
  if (other !== undefined && other !== signal) {
    throw new TemplateError(`${at(where, '')}holds a ${other} request (${SIGNALS[other].resources}), not ${signal}`, {
      file,
      code: 'ERR_TEMPLATE_WRONG_SIGNAL',
    });
  }
  const type = requestType(signal);
  fixMessage(value, type, '', 0, where);
  try {
    return type.fromObject(value);
  } catch (err) {
    // fixMessage checked every field fromObject reads; this is a backstop, not a path.
    fail(where, '', (err as Error).message);
  }
}

/** The signal a parsed OTLP/JSON request is for, judged by its top-level key. */
export function jsonSignal(value: Record<string, unknown>): Signal | undefined {
  for (const s of SIGNAL_NAMES) {
    const key = SIGNALS[s].resources;
    if (value[key] !== undefined || value[snake(key)] !== undefined) return s;
  }
  return undefined;
}

/** A JSON.parse failure as a one-line TemplateError with a line and column where V8 lets us find them. */
export function jsonSyntaxError(text: string, err: unknown, file?: string, line?: number): TemplateError {
  let msg = err instanceof Error ? err.message : String(err);
  let pos: number | undefined;
  const at = /^(.*) in JSON at position (\d+)/.exec(msg);
  // Newer V8 quotes ~10 characters either side of the problem instead of a position.
  const quoted = /^(.*?), (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON$/.exec(msg);
  if (at) {
    msg = at[1]!;
    pos = Number(at[2]);
  } else if (quoted) {
    msg = quoted[1]!;
    const found = text.indexOf(quoted[3]!);
    if (found >= 0) pos = found + (quoted[2] ? 10 : 0);
  } else if (/end of JSON input/.test(msg)) {
    pos = text.length;
  }
  let where = line === undefined ? '' : `line ${line}: `;
  if (pos !== undefined) {
    const before = text.slice(0, pos);
    const ln = (line ?? 1) + before.split('\n').length - 1;
    where = `line ${ln} column ${pos - before.lastIndexOf('\n')}: `;
  }
  const clean = msg.replace(/\s+/g, ' ').slice(0, 200);
  return new TemplateError(`${where}invalid JSON: ${clean}`, { file, code: 'ERR_TEMPLATE_JSON' });
}

interface FieldInfo {
  field: protobuf.Field;
  /** The lowerCamelCase key fromObject reads. */
  name: string;
}

const fieldMaps = new WeakMap<protobuf.Type, Map<string, FieldInfo>>();

/** JSON key → field, for both the lowerCamelCase and the original snake_case names. */
function fieldsOf(type: protobuf.Type): Map<string, FieldInfo> {
  let map = fieldMaps.get(type);
  if (map) return map;
  map = new Map();
  for (const field of type.fieldsArray) {
    const info = { field, name: field.name };
    map.set(field.name, info);
    map.set(snake(field.name), info);
  }
  fieldMaps.set(type, map);
  return map;
}

function fixMessage(obj: Record<string, unknown>, type: protobuf.Type, path: string, depth: number, where: Where): void {
  if (depth > MAX_DEPTH) fail(where, path, `nested deeper than ${MAX_DEPTH} levels`);
  const fields = fieldsOf(type);
  for (const key of Object.keys(obj)) {
    const info = fields.get(key);
    // Unknown keys must be ignored (OTLP/JSON spec); fromObject ignores them too.
    if (!info) continue;
    let value = obj[key];
    if (key !== info.name) {
      delete obj[key];
      if (obj[info.name] !== undefined) continue; // the camelCase key wins
      obj[info.name] = value;
    }
    const p = path ? `${path}.${info.name}` : info.name;
    if (value === null) {
      delete obj[info.name];
      continue;
    }
    const field = info.field;
    if (field.repeated) {
      if (!Array.isArray(value)) fail(where, p, `expected an array, got ${kindOf(value)}`);
      for (let i = 0; i < value.length; i++) value[i] = fixValue(value[i], field, `${p}[${i}]`, depth, where);
    } else {
      value = fixValue(value, field, p, depth, where);
      obj[info.name] = value;
    }
  }
}

function fixValue(value: unknown, field: protobuf.Field, path: string, depth: number, where: Where): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (!isObject(value)) fail(where, path, `expected an object, got ${kindOf(value)}`);
    fixMessage(value, resolved, path, depth + 1, where);
    return value;
  }
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && resolved.values[value] !== undefined) return value;
    fail(where, path, `expected a ${resolved.name} number or name, got ${show(value)}`);
  }
  const t = field.type;
  if (t === 'bytes') return fixBytes(value, field.name, path, where);
  if (LONG_TYPES.has(t)) {
    const ok =
      (typeof value === 'string' && DECIMAL.test(value) && fitsLong(value, UNSIGNED.has(t))) ||
      (typeof value === 'number' && Number.isInteger(value) && (value >= 0 || !UNSIGNED.has(t)));
    if (!ok) fail(where, path, `expected a ${t} (decimal string or integer), got ${show(value)}`);
    return value;
  }
  if (INT_TYPES.has(t)) {
    const n = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
    const bits = UNSIGNED.has(t) ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < bits[0]! || n > bits[1]!) {
      fail(where, path, `expected a ${t}, got ${show(value)}`);
    }
    return n;
  }
  if (t === 'double' || t === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    fail(where, path, `expected a number, got ${show(value)}`);
  }
  if (t === 'bool') {
    if (typeof value !== 'boolean') fail(where, path, `expected true or false, got ${show(value)}`);
    return value;
  }
  if (t === 'string') {
    if (typeof value !== 'string') fail(where, path, `expected a string, got ${show(value)}`);
    return value;
  }
  return value;
}

function fixBytes(value: unknown, name: string, path: string, where: Where): Uint8Array {
  if (typeof value !== 'string') fail(where, path, `expected a string, got ${show(value)}`);
  const idLen = ID_BYTES[name];
  if (idLen === undefined) {
    if (!BASE64.test(value)) fail(where, path, `invalid base64 ${show(value)}`);
    return Buffer.from(value, 'base64');
  }
  if (!HEX.test(value) || value.length % 2 !== 0) fail(where, path, `invalid hex id ${show(value)}`);
  if (value.length !== 0 && value.length !== idLen * 2) {
    fail(where, path, `id has ${value.length / 2} bytes, expected ${idLen} (${idLen * 2} hex digits) or empty`);
  }
  return Buffer.from(value, 'hex');
}

function fitsLong(s: string, unsigned: boolean): boolean {
  if (s.length < 19) return !unsigned || s[0] !== '-';
  const n = BigInt(s);
  return unsigned ? n >= 0n && n < 2n ** 64n : n >= -(2n ** 63n) && n < 2n ** 63n;
}

function fail(where: Where, path: string, problem: string): never {
  throw new TemplateError(`${at(where, path)}${problem}`, { file: where.file, code: 'ERR_TEMPLATE_JSON' });
}

function at(where: Where, path: string): string {
  return (where.line === undefined ? '' : `line ${where.line}: `) + (path ? `${path}: ` : '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : kindOf(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
