/**
 * `${env:VAR}` / `${env:VAR:-default}` expansion, done on the parsed tree rather than
 * the YAML text so a variable can never inject structure (a value with `\n  key:` stays
 * one string). `$$` is a literal `$`; any other `$` is left alone. Expansion always
 * yields a string; numeric and boolean keys accept numeric and `true`/`false` strings.
 */
import type { ConfigProblem } from '../errors.js';
import { joinPath, isMapping, setOwn, show } from './schema.js';

export type Env = Record<string, string | undefined>;

/** Deeper than any real config; guards recursion against pathological YAML. */
export const MAX_DEPTH = 64;

const REF = /\$\$|\$\{([^}]*)\}/g;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Environment values shorter than this are hidden only where a message quotes the whole value: "1" or "true" inside other text is not theirs. */
const MIN_HIDDEN_LENGTH = 3;

/**
 * The values expansion took from the environment (which may be secrets: API keys, tokens),
 * so that problem messages show a value as it is written in the file, `${env:API_KEY}`,
 * and never what the environment put there.
 */
export class EnvValues {
  /** Expanded string → the string as written, for values that took something from the environment. */
  readonly #written = new Map<string, string>();
  /** A value of a variable → `${env:NAME}`. */
  readonly #refs = new Map<string, string>();

  record(expanded: string, written: string, used: ReadonlyMap<string, string>): void {
    this.#written.set(expanded, written);
    for (const [value, ref] of used) this.#refs.set(value, ref);
  }

  /** The problems, with every expanded value (whole, quoted or shortened) and every environment value in them replaced by its reference. */
  hide(problems: ConfigProblem[]): ConfigProblem[] {
    if (this.#refs.size === 0) return problems;
    const pairs = this.#pairs();
    return problems.map((p) => ({ path: p.path, message: pairs.reduce((m, [from, to]) => m.replaceAll(from, to), p.message) }));
  }

  /** Any text (e.g. `validate`'s description of a valid config) with environment values replaced by their references. */
  hideText(text: string): string {
    return this.#refs.size === 0 ? text : this.#pairs().reduce((m, [from, to]) => m.replaceAll(from, to), text);
  }

  #pairs(): [string, string][] {
    const pairs: [string, string][] = [];
    // Longest first, so a value is replaced whole before any part of it.
    for (const [expanded, written] of [...this.#written].sort((a, b) => b[0].length - a[0].length)) {
      pairs.push([show(expanded), show(written)], [JSON.stringify(expanded), JSON.stringify(written)]);
    }
    for (const [value, ref] of [...this.#refs].sort((a, b) => b[0].length - a[0].length)) {
      if (value.length < MIN_HIDDEN_LENGTH) continue;
      pairs.push([JSON.stringify(value).slice(1, -1), ref], [value, ref]);
    }
    return pairs;
  }
}

/** Expands one string; `path` names the key in problems; `seen` learns what came from the environment. */
export function expandString(s: string, env: Env, path: string, problems: ConfigProblem[], seen?: EnvValues): string {
  if (!s.includes('$')) return s;
  const used = new Map<string, string>();
  const out = s.replace(REF, (whole: string, inner: string | undefined) => {
    if (whole === '$$') return '$';
    const m = ENV_REF.exec(inner ?? '');
    if (!m) {
      problems.push({ path, message: `unsupported substitution "${whole}": use \${env:NAME}, \${env:NAME:-default} or $$ for a literal $` });
      return whole;
    }
    const value = env[m[1]!];
    if (value !== undefined) {
      used.set(value, `\${env:${m[1]}}`);
      return value;
    }
    // A default is written in the file: nothing to hide.
    if (m[2] !== undefined) return m[2];
    problems.push({ path, message: `environment variable ${m[1]} is not set (use \${env:${m[1]}:-default} to give a default)` });
    return '';
  });
  if (used.size > 0) seen?.record(out, s, used);
  return out;
}

/**
 * Returns a copy of `tree` with every string scalar expanded. Keys are not expanded: they
 * name components and must be readable in the file itself.
 */
export function expandEnv(tree: unknown, env: Env, problems: ConfigProblem[], seen?: EnvValues): unknown {
  return expandTree(tree, env, problems, seen, '', 0);
}

function expandTree(tree: unknown, env: Env, problems: ConfigProblem[], seen: EnvValues | undefined, path: string, depth: number): unknown {
  if (typeof tree === 'string') return expandString(tree, env, path, problems, seen);
  if (depth >= MAX_DEPTH && (Array.isArray(tree) || isMapping(tree))) {
    problems.push({ path, message: `nested more than ${MAX_DEPTH} levels deep` });
    return undefined;
  }
  if (Array.isArray(tree)) return tree.map((v, i) => expandTree(v, env, problems, seen, `${path}[${i}]`, depth + 1));
  if (isMapping(tree)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) setOwn(out, k, expandTree(v, env, problems, seen, joinPath(path, k), depth + 1));
    return out;
  }
  return tree;
}

/**
 * Variables that components read by name (OTEL_EXPORTER_OTLP_*, OTEL_RESOURCE_ATTRIBUTES),
 * not through `${env:...}` in the file. An empty value counts as unset, as the
 * OpenTelemetry specification says. Values read as secrets are hidden in every problem
 * message the way `${env:...}` values are.
 */
export class EnvReader {
  constructor(
    readonly env: Env = {},
    private readonly seen?: EnvValues,
  ) {}

  get(name: string, opts: { secret?: boolean } = {}): string | undefined {
    const value = this.env[name];
    if (value === undefined || value === '') return undefined;
    if (opts.secret) this.hide(value, name);
    return value;
  }

  /** Hides `value` (taken from variable `name`, whole or decoded from it) in problem messages. */
  hide(value: string, name: string): void {
    const ref = `\${env:${name}}`;
    this.seen?.record(value, ref, new Map([[value, ref]]));
  }
}

/**
 * `key1=value1,key2=value2` as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES
 * hold them (the W3C Baggage format without `;` properties): keys and values are trimmed
 * and percent-decoded; empty entries are skipped; a later key replaces an earlier one.
 * A problem says which entry is wrong, never what it holds (values are often credentials).
 */
export function parseKeyValueList(text: string): { pairs: [key: string, value: string][] } | { problem: string } {
  const pairs = new Map<string, string>();
  const members = text.split(',');
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!.trim();
    if (member === '') continue;
    const at = `entry ${i + 1}`;
    if (member.includes(';')) return { problem: `${at} has ";" properties, which are not supported (write a ";" in a value as %3B)` };
    const eq = member.indexOf('=');
    if (eq < 0) return { problem: `${at} has no "=" (expected key=value)` };
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(member.slice(0, eq).trim());
      value = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      return { problem: `${at} is not valid percent-encoding (write "%" itself as %25)` };
    }
    if (key === '') return { problem: `${at} has an empty key` };
    pairs.delete(key);
    pairs.set(key, value);
  }
  return { pairs: [...pairs] };
}
