/**
 * timestamp: every replayed time becomes base + its relative offset, base = now −
 * backdate (− the trace's duration with align: end, so nothing ends in the future), fixed
 * once per trace (or log record, data point) per cycle. Without it, recorded times are
 * sent as the template holds them.
 */
import type { ComponentConfig } from '../config/component.js';
import { formatDuration } from '../units.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface TimestampConfig extends ComponentConfig {
  backdateMs: number;
  align: 'end' | 'start';
}

export const timestampProcessor: ProcessorFactory<TimestampConfig> = {
  type: 'timestamp',
  aliases: [],
  doc: 'Rebases every time to now (minus backdate), keeping durations and offsets; by default each trace ends at that moment.',
  keys: {
    backdate: { doc: 'Shift every timestamp this far into the past (e.g. for backends that reject future data).', default: '0s' },
    align: {
      doc: 'end: each trace ends at now − backdate, so no span ends after it is sent (a log or metrics template: its latest time); start: each trace starts there, and a long one ends in the future.',
      default: 'end',
    },
  },
  repeatable: false,
  traits: ['sets_times'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id, backdateMs: s.duration('backdate')!, align: s.oneOf('align', ['end', 'start'] as const)! };
  },
  describe: (c) => `times ${c.align === 'end' ? 'end' : 'start'} at now - ${formatDuration(c.backdateMs)}`,
  signalProblem: anySignal,
  create: (c) => ({
    compile(plan) {
      plan.timestamps = true;
      plan.backdateMs = c.backdateMs;
      plan.alignEnd = c.align === 'end';
    },
    cycle: null,
    send: null,
  }),
};
