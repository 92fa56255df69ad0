/** `processors:` — what each one means is in src/processors/; here only its settings. */
import type { ConfigProblem } from '../errors.js';
import type { ProcessorConfig } from './types.js';
import { Section, type KeyTable } from './schema.js';

export const PROCESSOR_TYPES = ['id_regen', 'timestamp', 'jitter', 'batch_splitter', 'ratelimit'] as const;
type ProcessorType = (typeof PROCESSOR_TYPES)[number];

/** Frames live in one Buffer each; keep well inside what one allocation and one request can hold. */
const MAX_FRAME_BYTES = 1024 ** 3;

export const PROCESSOR_KEYS: Readonly<Record<ProcessorType, KeyTable>> = {
  id_regen: {},
  timestamp: {
    backdate: { doc: 'Shift every timestamp this far into the past (e.g. for backends that reject future data).', default: '0s' },
  },
  jitter: {
    max: { doc: 'Each trace (or log record) moves by a random offset in [0, max]; its spans move together.', required: true },
  },
  batch_splitter: {
    max_items: { doc: 'Most spans, data points or log records in one request.', default: 10000 },
    // Below 4 MiB: gRPC servers reject larger messages by default.
    max_bytes: { doc: 'Most encoded bytes in one request (gRPC servers default to a 4 MiB limit).', default: 4000000 },
  },
  ratelimit: {
    events_per_second: { doc: 'Events (spans, data points, log records) per second for the whole pipeline.', required: true },
    burst: { doc: 'Token bucket size in events; default 2× the rate, never below the largest request.' },
  },
};

export function isProcessorType(t: string): t is ProcessorType {
  return (PROCESSOR_TYPES as readonly string[]).includes(t);
}

export function parseProcessor(id: string, type: ProcessorType, raw: unknown, path: string, problems: ConfigProblem[]): ProcessorConfig {
  const s = new Section(raw, path, PROCESSOR_KEYS[type], problems);
  switch (type) {
    case 'id_regen':
      return { type, id };
    case 'timestamp':
      return { type, id, backdateMs: s.duration('backdate')! };
    case 'jitter':
      return { type, id, maxMs: s.duration('max') ?? 0 };
    case 'batch_splitter':
      return {
        type,
        id,
        maxItems: s.number('max_items', { integer: true, positive: true, max: 2 ** 31 - 1 })!,
        maxBytes: s.size('max_bytes', { max: MAX_FRAME_BYTES })!,
      };
    case 'ratelimit': {
      const cfg: ProcessorConfig = { type, id, eventsPerSecond: s.number('events_per_second', { positive: true }) ?? 0 };
      const burst = s.number('burst', { positive: true });
      if (burst !== undefined) cfg.burst = burst;
      return cfg;
    }
  }
}
