/**
 * delivery: when the spans of a trace are sent. `whole` sends a trace at once (as today);
 * `as_ended` sends each span once its end time has passed, as an SDK's batch span
 * processor would: children before their parents, the root last, a long trace spread
 * over its duration, with traces starting all through the cycle. Late spans, late roots
 * and rootless traces imitate what tail samplers must cope with. It is all decided at
 * compile time (src/compile/delivery-schedule.ts) and run by the worker's frame schedule.
 */
import type { Late } from '../compile/plan.js';
import type { ComponentConfig } from '../config/component.js';
import type { KeyTable, Section } from '../config/schema.js';
import { formatDuration } from '../units.js';
import type { ProcessorFactory } from './processor.js';

export interface DeliveryConfig extends ComponentConfig {
  mode: 'whole' | 'as_ended';
  lateSpans: Late;
  lateRoot: Late;
  rootless: number;
}

/** processors.delivery.late_spans and .late_root. */
export const LATE_KEYS: KeyTable = {
  share: { doc: 'Share of spans (of roots, for late_root) that arrive late, in [0, 1]; the same round(share × count) of the template\'s spans every cycle (a template needs enough spans for a small share).', default: 0 },
  delay: { doc: 'How much later than their normal time they arrive.', default: '30s' },
};

function late(s: Section, key: string): Late {
  const l = s.section(key, LATE_KEYS);
  return { share: l.number('share', { min: 0, max: 1 })!, delayMs: l.duration('delay')! };
}

export const deliveryProcessor: ProcessorFactory<DeliveryConfig> = {
  type: 'delivery',
  aliases: [],
  doc: 'Sends each trace whole, or each span when it ends (as an SDK would); can make spans or roots late and traces rootless.',
  keys: {
    mode: {
      doc: 'whole: a trace\'s spans go together; as_ended: each span goes once its end has passed (children before parents, the root last) and traces start spread over each cycle, so the rate holds on average.',
      default: 'whole',
    },
    late_spans: { doc: 'A share of spans arrives `delay` after its normal time: `{ share: 0.01, delay: 30s }`.' },
    late_root: { doc: 'A share of roots arrives `delay` after its normal time.' },
    rootless: { doc: 'Share of traces whose root is never sent, in [0, 1].', default: 0 },
  },
  repeatable: false,
  traits: [],
  order: [{ rule: 'after', trait: 'sets_times', why: 'delivery sends a span once its stamped end has passed; put timestamp first' }],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return {
      type: this.type,
      id: ctx.id,
      mode: s.oneOf('mode', ['whole', 'as_ended'] as const)!,
      lateSpans: late(s, 'late_spans'),
      lateRoot: late(s, 'late_root'),
      rootless: s.number('rootless', { min: 0, max: 1 })!,
    };
  },
  describe(c) {
    const parts = [c.mode === 'as_ended' ? 'each span when it ends' : 'whole traces'];
    if (c.lateSpans.share > 0) parts.push(`${c.lateSpans.share * 100}% of spans ${formatDuration(c.lateSpans.delayMs)} late`);
    if (c.lateRoot.share > 0) parts.push(`${c.lateRoot.share * 100}% of roots ${formatDuration(c.lateRoot.delayMs)} late`);
    if (c.rootless > 0) parts.push(`${c.rootless * 100}% of traces rootless`);
    return parts.join(', ');
  },
  signalProblem: (_c, signal) => (signal === 'traces' ? undefined : 'schedules spans: it serves traces pipelines only'),
  create: (c) => ({
    compile(plan) {
      plan.delivery = { mode: c.mode, lateSpans: c.lateSpans, lateRoot: c.lateRoot, rootless: c.rootless };
    },
    cycle: null,
    send: null,
  }),
};
