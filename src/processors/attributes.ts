/**
 * attributes: inserts, updates, upserts or deletes attributes on every span, log record
 * and data point, as the Collector's attributes processor does. Applied once, at compile
 * time: the stamp loop never sees it.
 */
import { rewriteAttributes, type AttributeAction } from '../compile/attribute-rewrite.js';
import type { ComponentConfig } from '../config/component.js';
import { describeActions, parseActions } from './action-list.js';
import { anySignal, type OrderRule, type ProcessorFactory } from './processor.js';

export interface AttributesConfig extends ComponentConfig {
  actions: AttributeAction[];
}

/** Order rules of the processors that rewrite templates (attributes, resource). */
export const REWRITE_ORDER: readonly OrderRule[] = [
  { rule: 'not_after', trait: 'splits', why: 'it changes request sizes, which batch_splitter packs by; put it before batch_splitter' },
  { rule: 'not_after', trait: 'varies_attributes', why: 'it could overwrite the values cardinality varies; put cardinality after it' },
];

export const attributesProcessor: ProcessorFactory<AttributesConfig> = {
  type: 'attributes',
  aliases: [],
  doc: 'Sets or deletes attributes on every span, log record and data point (the Collector\'s shape).',
  keys: {
    actions: { doc: 'List of { key, action, value }: insert, update, upsert or delete, applied in order.', required: true },
  },
  repeatable: true,
  traits: ['rewrites'],
  order: REWRITE_ORDER,
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id, actions: parseActions(s.raw.actions, ctx, 'actions') };
  },
  describe: (c) => `on every item: ${describeActions(c.actions)}`,
  signalProblem: anySignal,
  create: (c, ctx) => ({
    compile(plan) {
      plan.rewrites.push((bytes) => rewriteAttributes(ctx.signal, bytes, 'item', c.actions));
    },
    cycle: null,
    send: null,
  }),
};
