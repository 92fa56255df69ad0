import { UsageError } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { LEN, METRIC_DATA, tag } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import { varintLen, writeVarint } from '../otlp/wire/write.js';

/**
 * Blanks attribute values before a recording touches disk, at the wire level: a value
 * whose key matches one of the patterns (whole key, case-insensitive), and any string
 * value (attribute, nested in an array or map, or a log body) that holds an email
 * address, becomes the empty string. Everything else is copied byte for byte, and a
 * request with nothing to blank is returned as it is.
 */

/** Keys whose values are blanked unless `--no-default-redact`: credentials and session data. */
export const DEFAULT_REDACT: readonly string[] = ['.*authorization.*', '.*password.*', '.*secret.*', '.*token.*', '.*api[-_.]?key.*', '.*cookie.*'];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const AT = 0x40;
/** AnyValue { string_value: "" } */
const BLANK = Uint8Array.of(tag(1, LEN), 0);
const MAX_CACHED_KEYS = 10_000;

/** Where attribute lists (`kv`) and log bodies (`any`) sit in a request, by field number. */
type Kind = 'kv' | 'any' | Schema;
interface Schema {
  [field: number]: Kind;
}

const SPAN: Schema = { 9: 'kv', 11: { 3: 'kv' }, 13: { 4: 'kv' } };
const LOG_RECORD: Schema = { 5: 'any', 6: 'kv' };
const METRIC: Schema = { 12: 'kv' };
for (const d of METRIC_DATA) {
  const point: Schema = { [d.attributes]: 'kv' };
  if (d.exemplars >= 0) point[d.exemplars] = { 7: 'kv' };
  METRIC[d.field] = { 1: point };
}

function request(item: Schema): Schema {
  return { 1: { 1: { 1: 'kv' }, 2: { 1: { 3: 'kv' }, 2: item } } };
}

const REQUEST: Record<Signal, Schema> = { traces: request(SPAN), metrics: request(METRIC), logs: request(LOG_RECORD) };

export class Redactor {
  readonly patterns: readonly string[];
  readonly #sensitive: KeyVerdicts;
  /** Values blanked so far. */
  blanked = 0;

  /** `patterns` are regular expressions over whole attribute keys; a bad one is a UsageError. */
  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      try {
        new RegExp(p);
      } catch (err) {
        throw new UsageError(`redact pattern ${JSON.stringify(p)} is not a regular expression: ${(err as Error).message}`);
      }
    }
    this.patterns = patterns;
    this.#sensitive = new KeyVerdicts(patterns.length ? new RegExp(`^(?:${patterns.map((p) => `(?:${p})`).join('|')})$`, 'i') : /$^/);
  }

  /** The request with its sensitive values blanked; `body` itself when there is nothing to blank. */
  redact(signal: Signal, body: Uint8Array): Uint8Array {
    return this.message(REQUEST[signal], body, 0, body.length) ?? body;
  }

  /** The message's new payload, or null when nothing in it changes. */
  private message(schema: Schema, buf: Uint8Array, s: number, e: number): Uint8Array | null {
    let changes: Change[] | undefined;
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      const kind = (t & 7) === LEN ? schema[t >>> 3] : undefined;
      if (kind === undefined) {
        r.skip(t & 7);
        continue;
      }
      const pe = r.len();
      const ps = r.pos;
      r.pos = pe;
      const payload = kind === 'kv' ? this.keyValue(buf, ps, pe) : kind === 'any' ? this.anyValue(buf, ps, pe) : this.message(kind, buf, ps, pe);
      if (payload) (changes ??= []).push({ start: at, end: pe, tag: t, payload });
    }
    return changes ? rebuild(buf, s, e, changes) : null;
  }

  /** A KeyValue: its value blanked when the key is sensitive, else checked for emails. One pass. */
  private keyValue(buf: Uint8Array, s: number, e: number): Uint8Array | null {
    const r = new WireReader(buf, s, e);
    let keyStart = -1, keyEnd = -1, valueAt = -1, valueStart = -1, valueEnd = -1;
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      if (t === KEY) {
        keyEnd = r.len();
        keyStart = r.pos;
        r.pos = keyEnd;
      } else if (t === VALUE) {
        valueAt = at;
        valueEnd = r.len();
        valueStart = r.pos;
        r.pos = valueEnd;
      } else r.skip(t & 7);
    }
    if (keyStart >= 0 && this.#sensitive.has(buf, keyStart, keyEnd)) {
      this.blanked++;
      const out = new Uint8Array(1 + varintLen(keyEnd - keyStart) + (keyEnd - keyStart) + 2 + BLANK.length);
      out[0] = KEY;
      let p = writeVarint(out, 1, keyEnd - keyStart);
      out.set(buf.subarray(keyStart, keyEnd), p);
      p += keyEnd - keyStart;
      out[p++] = VALUE;
      out[p++] = BLANK.length;
      out.set(BLANK, p);
      return out;
    }
    const value = valueStart >= 0 ? this.anyValue(buf, valueStart, valueEnd) : null;
    return value ? rebuild(buf, s, e, [{ start: valueAt, end: valueEnd, tag: VALUE, payload: value }]) : null;
  }

  /** An AnyValue: blank when it is a string holding an email; lists and maps are walked. One pass. */
  private anyValue(buf: Uint8Array, s: number, e: number): Uint8Array | null {
    const r = new WireReader(buf, s, e);
    let changes: Change[] | undefined;
    while (!r.done()) {
      const at = r.pos;
      const t = r.tag();
      if (t === STRING) {
        const se = r.len();
        const ss = r.pos;
        r.pos = se;
        if (hasEmail(buf, ss, se)) {
          this.blanked++;
          return BLANK;
        }
      } else if (t === ARRAY || t === KVLIST) {
        const pe = r.len();
        const ps = r.pos;
        r.pos = pe;
        const payload = this.message(t === ARRAY ? ARRAY_VALUE : KV_LIST, buf, ps, pe);
        if (payload) (changes ??= []).push({ start: at, end: pe, tag: t, payload });
      } else r.skip(t & 7);
    }
    return changes ? rebuild(buf, s, e, changes) : null;
  }
}

/**
 * Which attribute keys match the patterns, remembered by their bytes: keys repeat in
 * every span, and hashing a key's bytes costs less than turning it into a string.
 */
class KeyVerdicts {
  readonly #cache = new Map<number, { key: Uint8Array; sensitive: boolean }[]>();
  #size = 0;

  constructor(private readonly pattern: RegExp) {}

  has(buf: Uint8Array, s: number, e: number): boolean {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    // Kept below 2^30: a small integer key, not a heap number.
    h &= 0x3fffffff;
    const bucket = this.#cache.get(h);
    if (bucket) {
      for (const v of bucket) if (sameBytes(v.key, buf, s, e)) return v.sensitive;
    }
    const sensitive = this.pattern.test(Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8'));
    if (this.#size < MAX_CACHED_KEYS) {
      this.#size++;
      const entry = { key: buf.slice(s, e), sensitive };
      if (bucket) bucket.push(entry);
      else this.#cache.set(h, [entry]);
    }
    return sensitive;
  }
}

function sameBytes(key: Uint8Array, buf: Uint8Array, s: number, e: number): boolean {
  if (key.length !== e - s) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[s + i]) return false;
  return true;
}

const KEY = tag(1, LEN);
const VALUE = tag(2, LEN);
/** AnyValue's string_value, array_value and kvlist_value. */
const STRING = tag(1, LEN);
const ARRAY = tag(5, LEN);
const KVLIST = tag(6, LEN);
const ARRAY_VALUE: Schema = { 1: 'any' };
const KV_LIST: Schema = { 1: 'kv' };

function hasEmail(buf: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e && buf[i] !== AT) i++;
  return i < e && EMAIL.test(Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8'));
}

/** A length-delimited field [start, end) (tag included) whose payload becomes `payload`. */
interface Change {
  start: number;
  end: number;
  tag: number;
  payload: Uint8Array;
}

/** The payload [s, e) with each changed field re-encoded around its new payload. */
function rebuild(buf: Uint8Array, s: number, e: number, changes: Change[]): Uint8Array {
  let size = e - s;
  for (const c of changes) size += varintLen(c.tag) + varintLen(c.payload.length) + c.payload.length - (c.end - c.start);
  const out = new Uint8Array(size);
  let from = s, p = 0;
  for (const c of changes) {
    out.set(buf.subarray(from, c.start), p);
    p += c.start - from;
    p = writeVarint(out, p, c.tag);
    p = writeVarint(out, p, c.payload.length);
    out.set(c.payload, p);
    p += c.payload.length;
    from = c.end;
  }
  out.set(buf.subarray(from, e), p);
  return out;
}
