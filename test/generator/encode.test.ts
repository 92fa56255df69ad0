import { describe, expect, it } from 'vitest';
import { signalBlocks } from '../../src/generator/dataset.js';
import { encodeBlock, encodeRequest } from '../../src/generator/encode.js';
import type { SpanRef } from '../../src/generator/traces.js';
import { WireWriter } from '../../src/generator/wire-writer.js';
import { otlpRoot, requestType } from '../../src/otlp/proto.js';
import { SIGNAL_NAMES } from '../../src/otlp/signals.js';
import { validConfig } from './fixture.js';

const RESOURCE_TYPE = {
  traces: 'opentelemetry.proto.trace.v1.ResourceSpans',
  metrics: 'opentelemetry.proto.metrics.v1.ResourceMetrics',
  logs: 'opentelemetry.proto.logs.v1.ResourceLogs',
} as const;

function config() {
  return validConfig(
    {
      seed: 9,
      // A high error rate and kafka topics give exception events, links and statuses; all metric shapes are in the catalog.
      traces: { count: 300, spans: { avg_per_trace: 20, std_dev: 8 }, services: { count: 12 }, custom_attributes: { count: 6 }, error_rate: 0.5 },
      metrics: { metric_count: 120, timeseries_per_metric: { min: 5, max: 200, default: 60 } },
      logs: { count: 3000, correlate: true },
    },
  );
}

describe('encodeBlock', () => {
  const cfg = config();

  it('produces exactly the bytes protobufjs produces, for every block of every signal', () => {
    const refs: SpanRef[] = [];
    const w = new WireWriter(64);
    for (const signal of SIGNAL_NAMES) {
      const type = otlpRoot().lookupType(RESOURCE_TYPE[signal]);
      let blocks = 0;
      for (const block of signalBlocks(signal, cfg, cfg.seed, { refs })) {
        const body = type.encode(block.resource as object).finish();
        const want = Buffer.concat([Buffer.from([0x0a]), varint(body.length), body]);
        w.reset();
        const n = encodeBlock(w, signal, block);
        expect(n).toBe(want.length);
        expect(Buffer.from(w.view()).equals(want), `${signal} block ${blocks}`).toBe(true);
        blocks++;
      }
      expect(blocks, signal).toBeGreaterThan(3);
    }
    expect(refs.length).toBeGreaterThan(0);
  });

  it('covers spans with events, links and error status, and every metric shape', () => {
    const traces = requestType('traces').decode(encodeRequest('traces', signalBlocks('traces', cfg, cfg.seed))) as any;
    const spans = traces.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    expect(spans.some((s: any) => s.events.length > 0)).toBe(true);
    expect(spans.some((s: any) => s.links.length > 0)).toBe(true);
    expect(spans.some((s: any) => s.status?.code === 2)).toBe(true);
    const metrics = requestType('metrics').decode(encodeRequest('metrics', signalBlocks('metrics', cfg, cfg.seed))) as any;
    const shapes = new Set(metrics.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics.map((m: any) => m.data))));
    expect(shapes).toEqual(new Set(['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']));
  });

  it('encodeRequest returns an independent copy; no blocks make an empty request', () => {
    const a = encodeRequest('logs', signalBlocks('logs', cfg, cfg.seed, { count: 50 }));
    const b = encodeRequest('logs', signalBlocks('logs', cfg, cfg.seed, { count: 50 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(requestType('logs').decode(a).toJSON().resourceLogs.length).toBeGreaterThan(0);
    expect(encodeRequest('traces', []).length).toBe(0);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
