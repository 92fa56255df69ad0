/**
 * timestamp: every replayed time becomes base + its relative offset, base = now −
 * backdate (− the trace's duration with align: end, so nothing ends in the future), fixed
 * once per trace (or log record, data point) per cycle. Without it, recorded times are
 * sent as the template holds them. In a metrics pipeline it also keeps series continuous
 * across cycles (`continuity`, src/stamp/continuity.ts).
 */
import { rewriteAttributes } from '../compile/attribute-rewrite.js';
import type { ComponentConfig } from '../config/component.js';
import { formatDuration } from '../units.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface TimestampConfig extends ComponentConfig {
  backdateMs: number;
  align: 'end' | 'start';
  continuity: boolean;
  metricsIntervalMs: number;
}

/**
 * With continuity, a resource attribute that tells the senders (workers × replicas) of
 * one pipeline apart: each replays the same series, and two senders writing different
 * values into one series at once would look like resets to a backend.
 */
export const SENDER_ATTRIBUTE = 'replayd.sender';

export const timestampProcessor: ProcessorFactory<TimestampConfig> = {
  type: 'timestamp',
  aliases: [],
  doc: 'Rebases every time to now (minus backdate), keeping durations and offsets; by default each trace ends at that moment, and metric series continue across cycles.',
  keys: {
    backdate: { doc: 'Shift every timestamp this far into the past (e.g. for backends that reject future data).', default: '0s' },
    align: {
      doc: 'end: each trace ends at now − backdate, so no span ends after it is sent (a log or metrics template: its latest time); start: each trace starts there, and a long one ends in the future.',
      default: 'end',
    },
    continuity: {
      doc: 'Metrics: each series keeps one start time, cumulative values grow by the template\'s increment every cycle, delta points chain, gauges walk within their range (see "Metrics continuity"); false: every cycle replays the template as it is.',
      default: true,
    },
    metrics_interval: {
      doc: 'Metrics with continuity: points of one series are at least this far apart; a cycle waits for it, so the template\'s series bound the rate (series ÷ interval points/s per sender).',
      default: '10s',
    },
  },
  repeatable: false,
  traits: ['sets_times'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return {
      type: this.type, id: ctx.id, backdateMs: s.duration('backdate')!, align: s.oneOf('align', ['end', 'start'] as const)!,
      continuity: s.bool('continuity'), metricsIntervalMs: s.duration('metrics_interval', { positive: true })!,
    };
  },
  describe: (c) => `times ${c.align === 'end' ? 'end' : 'start'} at now - ${formatDuration(c.backdateMs)}${c.continuity ? `; metric series continue, points ≥ ${formatDuration(c.metricsIntervalMs)} apart` : ''}`,
  signalProblem: anySignal,
  create: (c, ctx) => ({
    compile(plan) {
      plan.timestamps = true;
      plan.backdateMs = c.backdateMs;
      plan.alignEnd = c.align === 'end';
      if (ctx.signal !== 'metrics' || !c.continuity) return;
      plan.continuity = { intervalMs: c.metricsIntervalMs };
      if (ctx.workers * ctx.replicas > 1) {
        const value = `${ctx.replica}.${ctx.worker}`;
        plan.rewrites.push((b) => rewriteAttributes('metrics', b, 'resource', [{ key: SENDER_ATTRIBUTE, action: 'upsert', value }]));
      }
    },
    cycle: null,
    send: null,
  }),
};
