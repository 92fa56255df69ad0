/**
 * cardinality: multiplies the distinct series and resources a backend sees without new
 * templates. Every span, log record or data point (scope item) or every resource (scope
 * resource) gets attribute `attribute` = its old value + "-" + a number below `values`,
 * one number per cycle and worker. The number is a fixed-width digit field written by
 * the stamper, so the request is patched in place, never re-encoded.
 */
import { rewriteAttributes, type AttributeScope } from '../compile/attribute-rewrite.js';
import type { ComponentConfig } from '../config/component.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface CardinalityConfig extends ComponentConfig {
  attribute: string;
  scope: AttributeScope;
  values: number;
}

/** Digits needed to write every value below n. */
export function digitWidth(n: number): number {
  return Math.max(1, String(n - 1).length);
}

export const cardinalityProcessor: ProcessorFactory<CardinalityConfig> = {
  type: 'cardinality',
  aliases: [],
  doc: 'Varies one attribute over N values, one per cycle and worker, to multiply series.',
  keys: {
    attribute: { doc: 'The attribute to vary, e.g. service.instance.id.', required: true },
    scope: { doc: 'resource (resource attributes) or item (every span, log record, data point).', default: 'resource' },
    values: { doc: 'How many distinct values; a backend sees the template\'s series × values.', required: true },
  },
  repeatable: true,
  traits: ['varies_attributes'],
  order: [{ rule: 'not_after', trait: 'splits', why: 'it lengthens attribute values, which batch_splitter packs by; put it before batch_splitter' }],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const attribute = s.string('attribute') ?? '';
    if (s.has('attribute') && attribute === '') s.problem('attribute', 'must not be empty');
    return {
      type: this.type,
      id: ctx.id,
      attribute,
      scope: s.oneOf('scope', ['resource', 'item'] as const)!,
      values: s.number('values', { integer: true, positive: true, max: 1e9 }) ?? 1,
    };
  },
  describe: (c) => `${c.attribute} (${c.scope}) takes ${c.values} values, one per cycle and worker`,
  signalProblem: anySignal,
  create(c, ctx) {
    const width = digitWidth(c.values);
    let field = -1;
    return {
      compile(plan) {
        field = plan.digits.push({ scope: c.scope, key: c.attribute, width }) - 1;
        const placeholder = { key: c.attribute, action: 'suffix' as const, value: '0'.repeat(width) };
        plan.rewrites.push((bytes) => rewriteAttributes(ctx.signal, bytes, c.scope, [placeholder]));
      },
      cycle(stamp, cycle) {
        // Workers interleave, so W workers cover the N values W times faster, never repeating within a cycle.
        stamp.setDigits(field, (cycle * ctx.workers + ctx.worker) % c.values);
      },
      send: null,
    };
  },
};
