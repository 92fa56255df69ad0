/**
 * The config as a run report shows it: the file's own tree before `${env:...}` expansion,
 * so no value that came from the environment can appear, with header values and keys that
 * name secrets replaced. A `${env:NAME:-default}` keeps its name but not its default,
 * which may be a secret written as a fallback.
 */
import { parse } from 'yaml';
import { isMapping } from './schema.js';

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear; `headers` hides every value below it. */
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key/i;

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;

/** The redacted tree of a config file's text (already validated, so it parses). */
export function redactedConfig(text: string): unknown {
  return redact(parse(text, { merge: true, maxAliasCount: 100 }), false, 0);
}

function redact(v: unknown, secret: boolean, depth: number): unknown {
  if (depth > 64) return REDACTED;
  if (Array.isArray(v)) return v.map((x) => redact(x, secret, depth + 1));
  if (isMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: redact(x, secret || k === 'headers' || SECRET_KEY.test(k), depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (secret && v !== null && v !== undefined) return REDACTED;
  return typeof v === 'string' ? v.replace(ENV_REF, '${env:$1}') : v;
}
