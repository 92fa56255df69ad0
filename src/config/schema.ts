/**
 * Typed, problem-collecting reads of one YAML mapping. Every component keeps one key
 * table (`KeyTable`): the allowed keys, their defaults as a user would write them, and a
 * one-line doc. The same table drives unknown-key checks, defaults and the generated
 * config reference, so the three cannot drift apart.
 */
import { statSync } from 'node:fs';
import type { ConfigProblem } from '../errors.js';
import { parseDuration, parseSize } from '../units.js';

export interface KeySpec {
  /** What the key means; becomes the README's config reference. */
  doc: string;
  /** The default exactly as it would be written in YAML; absent = no default. */
  default?: string | number | boolean;
  required?: boolean;
}

export type KeyTable = Readonly<Record<string, KeySpec>>;

/** Node timers overflow above 2^31-1 ms (they then fire at once), so no duration may exceed it. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export function joinPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Assigns without invoking setters, so a YAML key `__proto__` stays an ordinary key. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Short, safe rendering of a bad value for a message (never used for header values). */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isMapping(v)) return 'a mapping';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** ` (did you mean "x"?)` when a candidate is a plausible typo of `word`, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return best !== undefined && bestDist <= limit ? ` (did you mean "${best}"?)` : '';
}

/**
 * Keys a table does not have but users paste from elsewhere (Collector configs), each with
 * what to write here instead: an unknown key found in it gets that hint, not a guess.
 */
export type KeyHints = Readonly<Record<string, string>>;

/** Reports every key of `raw` that the table does not know. */
function checkKeys(raw: Record<string, unknown>, table: KeyTable, path: string, problems: ConfigProblem[], hints: KeyHints): void {
  for (const key of Object.keys(raw)) {
    if (Object.hasOwn(table, key)) continue;
    const hint = Object.hasOwn(hints, key) ? `: ${hints[key]}` : didYouMean(key, Object.keys(table));
    problems.push({ path: joinPath(path, key), message: `unknown key ${JSON.stringify(key)}${hint}` });
  }
}

/** `x:` with nothing after it is YAML null; for a section that means "all defaults". */
export function asMapping(raw: unknown, path: string, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return {};
  if (isMapping(raw)) return raw;
  problems.push({ path, message: `must be a mapping, got ${show(raw)}` });
  return undefined;
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number, or a numeric string (${env:...} expansion always yields text); NaN otherwise. */
export function numberOf(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : NaN;
}

/** A boolean, or `"true"`/`"false"` (${env:...} expansion always yields text); undefined otherwise. */
export function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  return v === 'true' || v === 'false' ? v === 'true' : undefined;
}

/**
 * Reads the keys of one mapping against its table. Each getter returns the value or the
 * table's default; a bad value records a problem and returns the default, so parsing
 * goes on and every problem in the file is reported in one run. A getter returns
 * undefined only for a key without a default (callers use `!` for keys that have one).
 */
export class Section {
  readonly raw: Record<string, unknown>;

  constructor(
    raw: unknown,
    readonly path: string,
    readonly table: KeyTable,
    readonly problems: ConfigProblem[],
    hints: KeyHints = {},
  ) {
    this.raw = asMapping(raw, path, problems) ?? {};
    checkKeys(this.raw, table, path, problems, hints);
  }

  keyPath(key: string): string {
    return joinPath(this.path, key);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  problem(key: string, message: string): void {
    this.problems.push({ path: this.keyPath(key), message });
  }

  /** The given value, else the default; reports a missing required key. */
  value(key: string): unknown {
    if (this.has(key)) return this.raw[key];
    const spec = this.table[key];
    if (spec?.required) this.problem(key, 'is required');
    return spec?.default;
  }

  string(key: string): string | undefined {
    const v = this.value(key);
    if (v === undefined || typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.problem(key, `must be a string, got ${show(v)}`);
    return undefined;
  }

  bool(key: string): boolean {
    const v = this.value(key);
    const b = boolOf(v);
    if (b !== undefined) return b;
    if (v !== undefined) this.problem(key, `must be true or false, got ${show(v)}`);
    return this.table[key]?.default === true;
  }

  /** A finite number, optionally an integer, within [min, max]; `positive` excludes 0. */
  number(key: string, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean } = {}): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const n = numberOf(v);
    const kind = opts.integer ? 'integer' : 'number';
    const { min = -Infinity, max = Number.MAX_SAFE_INTEGER } = opts;
    const ok =
      Number.isFinite(n) &&
      (!opts.integer || Number.isInteger(n)) &&
      n >= min &&
      n <= max &&
      (!opts.positive || n > 0);
    if (ok) return n;
    const plain = opts.integer ? 'an integer' : 'a number';
    const range = opts.positive ? `a positive ${kind}` : min === 0 ? `a non-negative ${kind}` : Number.isFinite(min) ? `${plain} >= ${min}` : plain;
    this.problem(key, `must be ${range}${max < Number.MAX_SAFE_INTEGER ? ` of at most ${max}` : ''}, got ${show(v)}`);
    return this.fallback(key, (d) => Number(d));
  }

  /** Milliseconds; `positive` rejects 0. */
  duration(key: string, opts: { positive?: boolean } = {}): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) {
      this.problem(key, `must be a duration like "250ms", "30s" or "5m", got ${show(v)}`);
    } else if (ms > MAX_DURATION_MS) {
      this.problem(key, `must be at most 596h (${MAX_DURATION_MS}ms), got ${show(v)}`);
    } else if (opts.positive && ms === 0) {
      this.problem(key, 'must be greater than 0');
    } else {
      return ms;
    }
    return this.fallback(key, parseDuration);
  }

  /** Bytes, at least 1. */
  size(key: string, opts: { max: number }): number | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const bytes = parseSize(v);
    if (bytes === undefined) this.problem(key, `must be a size like "512KiB" or "4MB", got ${show(v)}`);
    else if (bytes < 1) this.problem(key, 'must be greater than 0');
    else if (bytes > opts.max) this.problem(key, `must be at most ${opts.max} bytes, got ${show(v)}`);
    else return bytes;
    return this.fallback(key, parseSize);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.problem(key, `must be one of ${allowed.join(', ')}, got ${show(v)}${typeof v === 'string' ? didYouMean(v, allowed) : ''}`);
    return this.table[key]?.default as T | undefined;
  }

  /** A nested mapping read against its own table. */
  section(key: string, table: KeyTable, hints?: KeyHints): Section {
    return new Section(this.raw[key], this.keyPath(key), table, this.problems, hints);
  }

  private fallback(key: string, parse: (d: string | number | boolean) => number | undefined): number | undefined {
    const d = this.table[key]?.default;
    return d === undefined ? undefined : parse(d);
  }
}

/** `type` or `type/name`; the name is free text without whitespace. */
export function parseComponentId(id: string): { type: string; name?: string } | undefined {
  const m = /^([A-Za-z][A-Za-z0-9_]*)(?:\/(\S+))?$/.exec(id);
  if (!m) return undefined;
  return m[2] === undefined ? { type: m[1]! } : { type: m[1]!, name: m[2] };
}

export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
