import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import type { TemplateData } from '../../src/receivers/template-data.js';

/** Deterministic id bytes: distinct per (tag, n), never all zero. */
export function id(len: 16 | 8, tag: number, n: number): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, tag + 1);
  dv.setUint32(4, n + 1);
  return b;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function data(signal: Signal, obj: object, source = 'test'): TemplateData {
  return { signal, request: requestType(signal).fromObject(obj), source };
}

/**
 * `traces` traces of `spans` spans each: span i's parent is span i-1; times relative, some
 * beyond 2^32. Span ids count from `firstSpan` (default 0).
 */
export function traces(nTraces: number, spans: number, opts: { attr?: string; firstSpan?: number } = {}): TemplateData {
  const out: object[] = [];
  const first = opts.firstSpan ?? 0;
  for (let t = 0; t < nTraces; t++) {
    for (let s = 0; s < spans; s++) {
      out.push({
        traceId: id(16, 1, t),
        spanId: id(8, 2, first + t * spans + s),
        parentSpanId: s > 0 ? id(8, 2, first + t * spans + s - 1) : undefined,
        name: `op-${s}`,
        kind: 2,
        startTimeUnixNano: s * 1000,
        endTimeUnixNano: 5_000_000_007 + (spans - s) * 10,
        attributes: [{ key: 'a', value: { stringValue: opts.attr ?? 'v' } }],
        events: s % 2 === 0 ? [{ timeUnixNano: s * 1000 + 3, name: 'ev' }] : [],
        links: s === 1 ? [{ traceId: id(16, 1, t), spanId: id(8, 2, first + t * spans) }] : [],
      });
    }
  }
  return data('traces', {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{ scope: { name: 'lib' }, spans: out }],
    }],
  });
}
