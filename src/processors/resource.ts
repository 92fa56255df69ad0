/**
 * resource: inserts, updates, upserts or deletes resource attributes, as the
 * Collector's resource processor does (e.g. tag every replayed resource with the load
 * test's run id). Applied once, at compile time.
 *
 * With `from_env: true` it also applies OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, as
 * an SDK would to the resources it creates: first the attributes of OTEL_RESOURCE_ATTRIBUTES,
 * then service.name from OTEL_SERVICE_NAME (it wins over the same key in
 * OTEL_RESOURCE_ATTRIBUTES, as the specification says), all as upserts; then the
 * `attributes` list, so what the config says wins (an `upsert` there replaces a value
 * from the environment; an `insert` does not, the key being there already).
 */
import { rewriteAttributes, type AttributeAction } from '../compile/attribute-rewrite.js';
import type { ComponentConfig, ParseContext } from '../config/component.js';
import { parseKeyValueList } from '../config/env.js';
import { describeActions, parseActions } from './action-list.js';
import { REWRITE_ORDER } from './attributes.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface ResourceConfig extends ComponentConfig {
  /** Everything applied, in order: the environment's upserts first when from_env. */
  attributes: AttributeAction[];
  /** Keys that came from the environment, for `validate` (their values are never printed). */
  fromEnv?: { resourceAttributes: string[]; serviceName: boolean };
}

const RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';
const SERVICE_NAME = 'OTEL_SERVICE_NAME';

export const resourceProcessor: ProcessorFactory<ResourceConfig> = {
  type: 'resource',
  aliases: [],
  doc: 'Sets or deletes resource attributes (the Collector\'s shape); optionally from OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.',
  keys: {
    attributes: { doc: 'List of { key, action, value }: insert, update, upsert or delete, applied in order (after from_env). Required unless from_env.' },
    from_env: {
      doc: `Upsert the attributes of ${RESOURCE_ATTRIBUTES} (key=value,… percent-decoded), then service.name from ${SERVICE_NAME}, before the attributes list; their values are never printed.`,
      default: false,
    },
  },
  repeatable: true,
  traits: ['rewrites'],
  order: REWRITE_ORDER,
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const fromEnv = s.bool('from_env');
    const own = fromEnv && !s.has('attributes') ? [] : parseActions(s.raw.attributes, ctx, 'attributes');
    if (!fromEnv) return { type: this.type, id: ctx.id, attributes: own };
    const env = environmentActions(ctx, s.keyPath('from_env'));
    return {
      type: this.type,
      id: ctx.id,
      attributes: [...env.actions, ...own],
      fromEnv: { resourceAttributes: env.resourceAttributes, serviceName: env.serviceName },
    };
  },
  describe(c) {
    const parts: string[] = [];
    const env = c.fromEnv;
    const own = env ? c.attributes.slice(env.resourceAttributes.length + (env.serviceName ? 1 : 0)) : c.attributes;
    if (env) {
      const keys = [...env.resourceAttributes, ...(env.serviceName ? [`service.name (${SERVICE_NAME})`] : [])];
      parts.push(keys.length > 0 ? `upsert from the environment ${keys.join(', ')}` : `from_env, but ${RESOURCE_ATTRIBUTES} and ${SERVICE_NAME} are not set`);
    }
    if (own.length > 0) parts.push(describeActions(own));
    return `on every resource: ${parts.join('; then ')}`;
  },
  signalProblem: anySignal,
  create: (c, ctx) => ({
    compile(plan) {
      plan.rewrites.push((bytes) => rewriteAttributes(ctx.signal, bytes, 'resource', c.attributes));
    },
    cycle: null,
    send: null,
  }),
};

function environmentActions(ctx: ParseContext, path: string): { actions: AttributeAction[]; resourceAttributes: string[]; serviceName: boolean } {
  const actions: AttributeAction[] = [];
  const text = ctx.env.get(RESOURCE_ATTRIBUTES, { secret: true });
  const list = text === undefined ? { pairs: [] } : parseKeyValueList(text);
  // The specification: a value that cannot be decoded is discarded whole (here: reported).
  if ('problem' in list) ctx.problems.push({ path, message: `${RESOURCE_ATTRIBUTES}: ${list.problem}` });
  else {
    for (const [key, value] of list.pairs) {
      ctx.env.hide(value, RESOURCE_ATTRIBUTES);
      actions.push({ key, action: 'upsert', value });
    }
  }
  const serviceName = ctx.env.get(SERVICE_NAME, { secret: true });
  if (serviceName !== undefined) actions.push({ key: 'service.name', action: 'upsert', value: serviceName });
  const resourceAttributes = 'pairs' in list ? list.pairs.map(([key]) => key) : [];
  return { actions, resourceAttributes, serviceName: serviceName !== undefined };
}
