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

const ANY_VALUE: Schema = { 5: { 1: 'any' }, 6: { 1: 'kv' } };
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
  readonly #keys: RegExp;
  readonly #cache = new Map<string, boolean>();
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
    this.#keys = patterns.length ? new RegExp(`^(?:${patterns.map((p) => `(?:${p})`).join('|')})$`, 'i') : /$^/;
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
      const [ps, pe] = r.bytes();
      const payload = kind === 'kv' ? this.keyValue(buf, ps, pe) : kind === 'any' ? this.anyValue(buf, ps, pe) : this.message(kind, buf, ps, pe);
      if (payload) (changes ??= []).push({ start: at, end: pe, tag: t, payload });
    }
    return changes ? rebuild(buf, s, e, changes) : null;
  }

  private keyValue(buf: Uint8Array, s: number, e: number): Uint8Array | null {
    const r = new WireReader(buf, s, e);
    let keyStart = -1, keyEnd = -1;
    while (!r.done()) {
      const t = r.tag();
      if (t === KEY) [keyStart, keyEnd] = r.bytes();
      else r.skip(t & 7);
    }
    if (keyStart >= 0 && this.sensitive(Buffer.from(buf.buffer, buf.byteOffset + keyStart, keyEnd - keyStart).toString('utf8'))) {
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
    return this.message(KEY_VALUE, buf, s, e);
  }

  private anyValue(buf: Uint8Array, s: number, e: number): Uint8Array | null {
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if (t !== STRING) {
        r.skip(t & 7);
        continue;
      }
      const [ss, se] = r.bytes();
      if (hasEmail(buf, ss, se)) {
        this.blanked++;
        return BLANK;
      }
    }
    return this.message(ANY_VALUE, buf, s, e);
  }

  private sensitive(key: string): boolean {
    let hit = this.#cache.get(key);
    if (hit === undefined) {
      hit = this.#keys.test(key);
      if (this.#cache.size < MAX_CACHED_KEYS) this.#cache.set(key, hit);
    }
    return hit;
  }
}

const KEY = tag(1, LEN);
const VALUE = tag(2, LEN);
const STRING = tag(1, LEN);
const KEY_VALUE: Schema = { 2: 'any' };

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
