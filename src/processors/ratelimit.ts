/**
 * ratelimit: a token bucket in events per second for the whole pipeline, split exactly
 * over its replicas and workers (ProcessorContext.share): a constant `events_per_second`,
 * or a load shape (`stages`, as k6's).
 * It is taken before a request is stamped, so it limits what is sent.
 */
import type { ComponentConfig, ParseContext } from '../config/component.js';
import { Section, isMapping, show, type KeyTable } from '../config/schema.js';
import { RateShape, type Stage } from './rate-shape.js';
import { TokenBucket } from './token-bucket.js';
import { anySignal, type Pacer, type ProcessorFactory } from './processor.js';

export type RatelimitConfig = ComponentConfig & {
  /** Undefined = 2× rate; the bucket grows to the largest request either way. */
  burst?: number;
} & ({ eventsPerSecond: number } | { stages: Stage[]; startRate: number });

export const STAGE_KEYS: KeyTable = {
  duration: { doc: 'How long the stage lasts.', required: true },
  target: { doc: 'Events/s for the whole pipeline at the end of the stage; the rate ramps linearly to it from the previous target.', required: true },
};

export const ratelimitProcessor: ProcessorFactory<RatelimitConfig> = {
  type: 'ratelimit',
  aliases: [],
  doc: 'Holds the pipeline to events_per_second, or to a load shape (stages), in events (spans, data points or log records).',
  keys: {
    events_per_second: { doc: 'Events (spans, data points, log records) per second for the whole pipeline, over all its workers and replicas; required unless stages are given.' },
    stages: { doc: 'A load shape instead of a constant rate, as k6 stages: [{ duration, target }, …], each a linear ramp to its target; the pipeline stops after the last stage (as k6 does).' },
    start_rate: { doc: 'With stages: the rate the first stage ramps from.', default: 0 },
    burst: { doc: 'Token bucket size in events; default 2× the current rate, never below the largest request.' },
  },
  repeatable: false,
  traits: ['paces'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const burst = s.number('burst', { positive: true });
    const base = { type: this.type, id: ctx.id, ...(burst === undefined ? {} : { burst }) };
    if (s.has('stages')) {
      if (s.has('events_per_second')) s.problem('events_per_second', 'give events_per_second or stages, not both');
      const stages = parseStages(s.raw.stages, ctx);
      const startRate = s.number('start_rate', { min: 0 })!;
      if (stages.length > 0 && startRate === 0 && stages.every((st) => st.target === 0)) s.problem('stages', 'every target is 0: nothing would be sent');
      return { ...base, stages, startRate };
    }
    if (s.has('start_rate')) s.problem('start_rate', 'is only used with stages');
    if (!s.has('events_per_second')) s.problem('events_per_second', 'is required (or give stages)');
    return { ...base, eventsPerSecond: s.number('events_per_second', { positive: true }) ?? 0 };
  },
  describe(c) {
    const burst = `burst ${c.burst ?? '2x rate (at least the largest request)'}`;
    if (!('stages' in c)) return `${c.eventsPerSecond} events/s, ${burst}`;
    const total = c.stages.reduce((a, st) => a + st.durationMs, 0);
    return `stages from ${c.startRate}/s: ${c.stages.map((st) => `${st.target}/s over ${st.durationMs / 1000}s`).join(', ')}; stops after ${total / 1000}s, ${burst}`;
  },
  signalProblem: anySignal,
  create(c, ctx) {
    // Each sender paces its exact share of the same curve (remainders spread over replicas
    // and workers by ctx.share); burst shares too.
    const exact = (eventsPerSecond: number): number => ctx.share(eventsPerSecond);
    const fraction = ctx.share(1e9) / 1e9;
    let staged = 'stages' in c;
    const shape = 'stages' in c ? new RateShape(c.stages, c.startRate, fraction) : RateShape.constant(exact(c.eventsPerSecond));
    if (!('stages' in c) && exact(c.eventsPerSecond) === 0) return { compile: null, cycle: null, send: NEVER };
    // The burst splits as the rate does (a constant rate's exact share; a shape's fraction).
    const burstShare = 'stages' in c ? fraction : exact(c.eventsPerSecond) / c.eventsPerSecond;
    const bucket = new TokenBucket({ shape, burst: c.burst === undefined ? undefined : c.burst * burstShare, phase: ctx.phase });
    const pacer: Pacer & { readonly burst: number } = {
      get rate() {
        return bucket.rate;
      },
      get stage() {
        return staged ? bucket.stage : null;
      },
      get burst() {
        return bucket.burst;
      },
      start: (origin) => bucket.start(origin),
      setRate(eventsPerSecond) {
        staged = false;
        bucket.setRate(Math.max(exact(eventsPerSecond), 1e-9));
      },
      take: (events, abort) => bucket.take(events, abort),
    };
    return { compile: null, cycle: null, send: pacer };
  },
};

/** A worker whose share of the rate is 0 (fewer events/s than senders) sends nothing. */
const NEVER: Pacer = { rate: 0, stage: null, start: () => {}, setRate: () => {}, take: () => Promise.resolve(false) };

function parseStages(raw: unknown, ctx: ParseContext): Stage[] {
  const path = `${ctx.path}.stages`;
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.problems.push({ path, message: `must be a non-empty list of { duration, target }, got ${show(raw)}` });
    return [];
  }
  const out: Stage[] = [];
  raw.forEach((item, i) => {
    const s = new Section(item, `${path}[${i}]`, STAGE_KEYS, ctx.problems);
    if (!isMapping(item)) return;
    const durationMs = s.duration('duration', { positive: true });
    const target = s.number('target', { min: 0 });
    if (durationMs !== undefined && target !== undefined) out.push({ durationMs, target });
  });
  return out;
}
