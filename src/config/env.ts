/**
 * `${env:VAR}` / `${env:VAR:-default}` expansion, done on the parsed tree rather than
 * the YAML text so a variable can never inject structure (a value with `\n  key:` stays
 * one string). `$$` is a literal `$`; any other `$` is left alone. Expansion always
 * yields a string; numeric and boolean keys accept numeric and `true`/`false` strings.
 */
import type { ConfigProblem } from '../errors.js';
import { joinPath, isMapping, setOwn } from './schema.js';

export type Env = Record<string, string | undefined>;

/** Deeper than any real config; guards recursion against pathological YAML. */
export const MAX_DEPTH = 64;

const REF = /\$\$|\$\{([^}]*)\}/g;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Expands one string; `path` names the key in problems. */
export function expandString(s: string, env: Env, path: string, problems: ConfigProblem[]): string {
  if (!s.includes('$')) return s;
  return s.replace(REF, (whole: string, inner: string | undefined) => {
    if (whole === '$$') return '$';
    const m = ENV_REF.exec(inner ?? '');
    if (!m) {
      problems.push({ path, message: `unsupported substitution "${whole}": use \${env:NAME}, \${env:NAME:-default} or $$ for a literal $` });
      return whole;
    }
    const value = env[m[1]!];
    if (value !== undefined) return value;
    if (m[2] !== undefined) return m[2];
    problems.push({ path, message: `environment variable ${m[1]} is not set (use \${env:${m[1]}:-default} to give a default)` });
    return '';
  });
}

/**
 * Returns a copy of `tree` with every string scalar expanded. Keys are not expanded: they
 * name components and must be readable in the file itself.
 */
export function expandEnv(tree: unknown, env: Env, problems: ConfigProblem[], path = '', depth = 0): unknown {
  if (typeof tree === 'string') return expandString(tree, env, path, problems);
  if (depth >= MAX_DEPTH && (Array.isArray(tree) || isMapping(tree))) {
    problems.push({ path, message: `nested more than ${MAX_DEPTH} levels deep` });
    return undefined;
  }
  if (Array.isArray(tree)) return tree.map((v, i) => expandEnv(v, env, problems, `${path}[${i}]`, depth + 1));
  if (isMapping(tree)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) setOwn(out, k, expandEnv(v, env, problems, joinPath(path, k), depth + 1));
    return out;
  }
  return tree;
}
