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
