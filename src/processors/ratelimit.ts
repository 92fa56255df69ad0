/**
 * ratelimit: a token bucket in events per second for the whole pipeline, split exactly
 * over its replicas and workers (ProcessorContext.share). It is taken before a request
 * is stamped, so it limits what is sent.
 */
import type { ComponentConfig } from '../config/component.js';
import { TokenBucket } from './token-bucket.js';
import { anySignal, type Pacer, type ProcessorFactory } from './processor.js';

export interface RatelimitConfig extends ComponentConfig {
  eventsPerSecond: number;
  /** Undefined = 2× rate; the bucket grows to the largest request either way. */
  burst?: number;
}

export const ratelimitProcessor: ProcessorFactory<RatelimitConfig> = {
  type: 'ratelimit',
  aliases: [],
  doc: 'Holds the pipeline to events_per_second (spans, data points or log records).',
  keys: {
    events_per_second: { doc: 'Events (spans, data points, log records) per second for the whole pipeline, over all its workers and replicas.', required: true },
    burst: { doc: 'Token bucket size in events; default 2× the rate, never below the largest request.' },
  },
  repeatable: false,
  traits: ['paces'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const cfg: RatelimitConfig = { type: this.type, id: ctx.id, eventsPerSecond: s.number('events_per_second', { positive: true }) ?? 0 };
    const burst = s.number('burst', { positive: true });
    return burst === undefined ? cfg : { ...cfg, burst };
  },
  describe: (c) => `${c.eventsPerSecond} events/s, burst ${c.burst ?? '2x rate (at least the largest request)'}`,
  signalProblem: anySignal,
  create(c, ctx) {
    const rate = ctx.share(c.eventsPerSecond);
    // Burst shares too: each worker's bucket is its part of the pipeline's.
    const burst = c.burst === undefined ? undefined : (c.burst * rate) / c.eventsPerSecond;
    return { compile: null, cycle: null, send: rate > 0 ? new TokenBucket({ eventsPerSecond: rate, burst, phase: ctx.phase }) : NEVER };
  },
};

/** A worker whose share of the rate is 0 (fewer events/s than senders) sends nothing. */
const NEVER: Pacer = { rate: 0, take: () => Promise.resolve(false) };
