/**
 * The action list the Collector's `attributes` and `resource` processors share:
 * `[{ key, action, value }]` with insert, update, upsert or delete. Users paste these
 * from Collector configs, so the shape and semantics are the Collector's.
 */
import type { AttributeAction } from '../compile/attribute-rewrite.js';
import type { ParseContext } from '../config/component.js';
import { Section, isMapping, show, type KeyTable } from '../config/schema.js';

const ACTIONS = ['insert', 'update', 'upsert', 'delete'] as const;
/** Collector actions we do not do (yet): named so the message says so instead of "unknown". */
const UNSUPPORTED = ['hash', 'extract', 'convert'];

export const ACTION_KEYS: KeyTable = {
  key: { doc: 'Attribute key.', required: true },
  action: { doc: `${ACTIONS.join(', ')} (the Collector's semantics).`, required: true },
  value: { doc: 'String, number or boolean; required except for delete.' },
};

export function parseActions(raw: unknown, ctx: ParseContext, key: string): AttributeAction[] {
  const path = `${ctx.path}.${key}`;
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.problems.push({ path, message: raw === undefined ? 'is required' : `must be a non-empty list of { key, action, value }, got ${show(raw)}` });
    return [];
  }
  const out: AttributeAction[] = [];
  raw.forEach((item, i) => {
    const s = new Section(item, `${path}[${i}]`, ACTION_KEYS, ctx.problems);
    if (!isMapping(item)) return;
    const k = s.string('key');
    const verb = s.raw.action;
    if (typeof verb === 'string' && UNSUPPORTED.includes(verb)) {
      s.problem('action', `"${verb}" is not supported; use one of ${ACTIONS.join(', ')}`);
      return;
    }
    const action = s.oneOf('action', ACTIONS);
    if (k === undefined || k === '' || action === undefined) {
      if (k === '') s.problem('key', 'must not be empty');
      return;
    }
    if (action === 'delete') {
      if (s.has('value')) s.problem('value', 'is not used by delete; remove it');
      out.push({ key: k, action });
      return;
    }
    const v = s.raw.value;
    if (v === undefined || v === null) s.problem('value', `is required for ${action}`);
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out.push({ key: k, action, value: v });
    else s.problem('value', `must be a string, number or boolean, got ${show(v)}`);
  });
  return out;
}

export function describeActions(actions: readonly AttributeAction[]): string {
  return actions.map((a) => (a.action === 'delete' ? `delete ${a.key}` : `${a.action} ${a.key}=${JSON.stringify(a.value)}`)).join(', ');
}
