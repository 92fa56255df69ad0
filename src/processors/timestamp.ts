/**
 * timestamp: every replayed time becomes base + its relative offset, base = now −
 * backdate, fixed once per trace (or log record, data point) per cycle. Without it,
 * times are sent as the template holds them.
 */
import type { ComponentConfig } from '../config/component.js';
import { formatDuration } from '../units.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface TimestampConfig extends ComponentConfig {
  backdateMs: number;
}

export const timestampProcessor: ProcessorFactory<TimestampConfig> = {
  type: 'timestamp',
  aliases: [],
  doc: 'Rebases every time to now (minus backdate), keeping durations and offsets.',
  keys: {
    backdate: { doc: 'Shift every timestamp this far into the past (e.g. for backends that reject future data).', default: '0s' },
  },
  repeatable: false,
  traits: ['sets_times'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id, backdateMs: s.duration('backdate')! };
  },
  describe: (c) => `times start now - ${formatDuration(c.backdateMs)}`,
  signalProblem: anySignal,
  create: (c) => ({
    compile(plan) {
      plan.timestamps = true;
      plan.backdateMs = c.backdateMs;
    },
    cycle: null,
    send: null,
  }),
};
