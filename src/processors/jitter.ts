/**
 * jitter: moves each trace (or log record, data point) back in time by a random amount
 * in [0, max] drawn per cycle, so a replayed set does not arrive in lockstep. Whole
 * traces move together: a child never leaves its parent. Back, not forward, so jittered
 * data never lands in the future.
 */
import type { ComponentConfig } from '../config/component.js';
import { formatDuration } from '../units.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface JitterConfig extends ComponentConfig {
  maxMs: number;
}

export const jitterProcessor: ProcessorFactory<JitterConfig> = {
  type: 'jitter',
  aliases: [],
  doc: 'Moves each trace, log record or data point back by a random offset per cycle.',
  keys: {
    max: { doc: 'Each trace (or log record) moves by a random offset in [0, max]; its spans move together.', required: true },
  },
  repeatable: false,
  traits: ['shifts_times'],
  order: [{ rule: 'after', trait: 'sets_times', why: 'jitter moves the times timestamp sets; put timestamp first' }],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id, maxMs: s.duration('max') ?? 0 };
  },
  describe: (c) => `up to ${formatDuration(c.maxMs)} per trace`,
  signalProblem: anySignal,
  create: (c) => ({
    compile: null,
    cycle(stamp) {
      stamp.drawJitter(c.maxMs);
    },
    send: null,
  }),
};
