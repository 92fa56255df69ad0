/**
 * resource: inserts, updates, upserts or deletes resource attributes, as the
 * Collector's resource processor does (e.g. tag every replayed resource with the load
 * test's run id). Applied once, at compile time.
 */
import { rewriteAttributes, type AttributeAction } from '../compile/attribute-rewrite.js';
import type { ComponentConfig } from '../config/component.js';
import { describeActions, parseActions } from './action-list.js';
import { REWRITE_ORDER } from './attributes.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface ResourceConfig extends ComponentConfig {
  attributes: AttributeAction[];
}

export const resourceProcessor: ProcessorFactory<ResourceConfig> = {
  type: 'resource',
  aliases: [],
  doc: 'Sets or deletes resource attributes (the Collector\'s shape).',
  keys: {
    attributes: { doc: 'List of { key, action, value }: insert, update, upsert or delete, applied in order.', required: true },
  },
  repeatable: true,
  traits: ['rewrites'],
  order: REWRITE_ORDER,
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id, attributes: parseActions(s.raw.attributes, ctx, 'attributes') };
  },
  describe: (c) => `on every resource: ${describeActions(c.attributes)}`,
  signalProblem: anySignal,
  create: (c, ctx) => ({
    compile(plan) {
      plan.rewrites.push((bytes) => rewriteAttributes(ctx.signal, bytes, 'resource', c.attributes));
    },
    cycle: null,
    send: null,
  }),
};
