import { otlpRoot } from '../otlp/proto.js';
import type { Signal } from '../otlp/signals.js';
import type { Block } from './otlp-values.js';

const RESOURCE_TYPE: Record<Signal, string> = {
  traces: 'opentelemetry.proto.trace.v1.ResourceSpans',
  metrics: 'opentelemetry.proto.metrics.v1.ResourceMetrics',
  logs: 'opentelemetry.proto.logs.v1.ResourceLogs',
};

export const REQUEST_FIELD: Record<Signal, string> = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };

/**
 * One block as a field-1 entry of an Export*ServiceRequest (tag, length, ResourceX bytes).
 * A request is a concatenation of these, so blocks can be written one at a time.
 */
export function encodeBlock(signal: Signal, block: Block): Uint8Array {
  const body = otlpRoot().lookupType(RESOURCE_TYPE[signal]).encode(block.resource as Record<string, unknown>).finish();
  const head = [0x0a];
  for (let len = body.length; ; len = Math.floor(len / 128)) {
    if (len <= 0x7f) {
      head.push(len);
      break;
    }
    head.push((len & 0x7f) | 0x80);
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** A whole request from blocks (small pools only: the generator receiver). */
export function encodeRequest(signal: Signal, blocks: Iterable<Block>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of blocks) parts.push(encodeBlock(signal, b));
  return Buffer.concat(parts);
}
