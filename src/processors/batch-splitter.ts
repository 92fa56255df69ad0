/**
 * batch_splitter: packs the templates into requests of at most max_items events and
 * max_bytes encoded bytes (src/compile/packer.ts). Whole traces stay together when they
 * fit. It packs by size, so anything that changes sizes must come before it.
 */
import type { ComponentConfig } from '../config/component.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export interface BatchSplitterConfig extends ComponentConfig {
  maxItems: number;
  maxBytes: number;
}

/** Frames live in one Buffer each; keep well inside what one allocation and one request can hold. */
const MAX_FRAME_BYTES = 1024 ** 3;

export const batchSplitterProcessor: ProcessorFactory<BatchSplitterConfig> = {
  type: 'batch_splitter',
  aliases: [],
  doc: 'Packs templates into requests of at most max_items events and max_bytes bytes.',
  keys: {
    max_items: { doc: 'Most spans, data points or log records in one request.', default: 10000 },
    // Below 4 MiB: gRPC servers reject larger messages by default.
    max_bytes: { doc: 'Most encoded bytes in one request (gRPC servers default to a 4 MiB limit).', default: 4000000 },
  },
  repeatable: false,
  traits: ['splits'],
  order: [],
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    return {
      type: this.type,
      id: ctx.id,
      maxItems: s.number('max_items', { integer: true, positive: true, max: 2 ** 31 - 1 })!,
      maxBytes: s.size('max_bytes', { max: MAX_FRAME_BYTES })!,
    };
  },
  describe: (c) => `at most ${c.maxItems} items and ${c.maxBytes} bytes per request`,
  signalProblem: anySignal,
  create: (c) => ({
    compile(plan) {
      plan.split = { maxItems: c.maxItems, maxBytes: c.maxBytes };
    },
    cycle: null,
    send: null,
  }),
};
