import { describe, expect, it } from 'vitest';
import { signalBlocks, topologyOf } from '../../src/generator/dataset.js';
import { validConfig } from './fixture.js';

function config(traces: Record<string, unknown>) {
  return validConfig({ seed: 11, traces });
}

interface S {
  traceId: Uint8Array; spanId: Uint8Array; parentSpanId: Uint8Array; name: string; kind: number;
  startTimeUnixNano: number; endTimeUnixNano: number; attributes: { key: string; value: Record<string, unknown> }[];
  events: { name: string; timeUnixNano: number; attributes: { key: string }[] }[]; status?: { code: number };
  links: { spanId: Uint8Array }[];
}

function spansOf(cfg: ReturnType<typeof config>): { span: S; service: string }[] {
  const out: { span: S; service: string }[] = [];
  for (const b of signalBlocks('traces', cfg, cfg.seed)) {
    const rs = b.resource as { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: S[] }[] };
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')!.value.stringValue!;
    for (const ss of rs.scopeSpans) for (const span of ss.spans) out.push({ span, service });
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const attr = (s: S, key: string) => s.attributes.find((a) => a.key === key)?.value;

describe('trace generation', () => {
  const cfg = config({ count: 10_000, spans: { avg_per_trace: 15, std_dev: 5 }, services: { count: 8 }, error_rate: 0.05 });
  const spans = spansOf(cfg);
  const byTrace = new Map<string, { span: S; service: string }[]>();
  for (const s of spans) {
    const k = hex(s.span.traceId);
    let list = byTrace.get(k);
    if (!list) byTrace.set(k, (list = []));
    list.push(s);
  }

  it('draws spans per trace ~ normal(avg, std_dev) over 10k traces', () => {
    expect(byTrace.size).toBe(10_000);
    const counts = [...byTrace.values()].map((l) => l.length);
    const mean = counts.reduce((a, c) => a + c, 0) / counts.length;
    const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length);
    expect(Math.abs(mean - 15)).toBeLessThan(0.25);
    expect(Math.abs(sd - 5)).toBeLessThan(0.25);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it('puts every child inside its parent, with one root per trace starting at 0', () => {
    // Violations are collected and asserted once: an expect per span is slow over 150k spans.
    const bad: string[] = [];
    for (const list of byTrace.values()) {
      const ids = new Map(list.map((s) => [hex(s.span.spanId), s.span]));
      let roots = 0;
      for (const { span } of list) {
        if (!(span.endTimeUnixNano > span.startTimeUnixNano)) bad.push(`${span.name}: empty`);
        for (const ev of span.events) {
          if (ev.timeUnixNano < span.startTimeUnixNano || ev.timeUnixNano > span.endTimeUnixNano) bad.push(`${span.name}: event outside`);
        }
        if (span.parentSpanId.length === 0) {
          roots++;
          if (span.startTimeUnixNano !== 0) bad.push(`${span.name}: root starts at ${span.startTimeUnixNano}`);
          continue;
        }
        const parent = ids.get(hex(span.parentSpanId));
        if (!parent) bad.push(`${span.name}: no parent`);
        else if (span.startTimeUnixNano < parent.startTimeUnixNano || span.endTimeUnixNano > parent.endTimeUnixNano) bad.push(`${span.name}: outside ${parent.name}`);
      }
      if (roots !== 1) bad.push(`trace with ${roots} roots`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('respects the topology: roots on the ingress, CLIENT spans have a SERVER child in a downstream service', () => {
    const topo = topologyOf(cfg);
    expect(topo.ingress.map((s) => s.name)).toEqual(['frontend']);
    const downstream = new Map(topo.services.map((s) => [s.name, new Set(s.downstream.map((d) => d.name))]));
    // No cycles: downstream always points later in the list.
    topo.services.forEach((s, i) => s.downstream.forEach((d) => expect(d.index).toBeGreaterThan(i)));
    let hops = 0;
    let sameService = 0;
    let children = 0;
    for (const list of byTrace.values()) {
      const byId = new Map(list.map((s) => [hex(s.span.spanId), s]));
      for (const s of list) {
        if (s.span.parentSpanId.length === 0) {
          expect(s.service).toBe('frontend');
          expect(s.span.kind).toBe(2);
          continue;
        }
        const parent = byId.get(hex(s.span.parentSpanId))!;
        if (parent.span.kind === 3 && attr(parent.span, 'db.system.name') === undefined) {
          expect(s.span.kind).toBe(2);
          expect(downstream.get(parent.service)!.has(s.service)).toBe(true);
        }
        if (parent.span.kind === 2 || parent.span.kind === 1 || parent.span.kind === 5) {
          children++;
          if (s.span.kind === 3 && attr(s.span, 'db.system.name') === undefined) hops++;
          else if (s.span.kind === 4) hops++;
          else sameService++;
        }
      }
    }
    // 70% downstream where possible (leaf services cannot go downstream, so below 70% overall).
    expect(hops / children).toBeGreaterThan(0.4);
    expect(hops / children).toBeLessThan(0.7);
    expect(sameService).toBeGreaterThan(0);
  });

  it('uses semantic-convention attributes', () => {
    const keys = new Set(spans.flatMap((s) => s.span.attributes.map((a) => a.key)));
    for (const k of ['http.request.method', 'url.path', 'http.route', 'http.response.status_code', 'server.address', 'db.system.name', 'db.query.text', 'rpc.system', 'messaging.system', 'url.full']) {
      expect(keys).toContain(k);
    }
    const server = spans.find((s) => s.span.kind === 2 && attr(s.span, 'http.route'))!.span;
    expect(server.name).toBe(`${attr(server, 'http.request.method')!.stringValue} ${attr(server, 'http.route')!.stringValue}`);
  });

  it('fails about error_rate of traces: exception event at the origin, ERROR status and 5xx up to the root', () => {
    let failed = 0;
    for (const list of byTrace.values()) {
      const errs = list.filter((s) => s.span.status?.code === 2);
      if (errs.length === 0) continue;
      failed++;
      const root = list.find((s) => s.span.parentSpanId.length === 0)!.span;
      expect(root.status?.code).toBe(2);
      expect(Number(attr(root, 'http.response.status_code')!.intValue)).toBeGreaterThanOrEqual(500);
      const withException = errs.filter((s) => s.span.events.some((e) => e.name === 'exception'));
      expect(withException).toHaveLength(1);
      const ev = withException[0]!.span.events.find((e) => e.name === 'exception')!;
      expect(ev.attributes.map((a) => a.key)).toEqual(['exception.type', 'exception.message', 'exception.stacktrace']);
    }
    expect(failed / 10_000).toBeGreaterThan(0.04);
    expect(failed / 10_000).toBeLessThan(0.06);
  });

  it('links messaging consumers to their producer', () => {
    const consumers = spans.filter((s) => s.span.kind === 5);
    expect(consumers.length).toBeGreaterThan(0);
    for (const c of consumers) expect(hex(c.span.links[0]!.spanId)).toBe(hex(c.span.parentSpanId));
  });

  it('adds custom attributes with bounded cardinality and high-span traces of exact size', () => {
    const c = config({
      count: 20, services: { count: 4, names: ['edge', 'b', 'c', 'd'], ingress: { single: true, service: 'edge' } },
      custom_attributes: { count: 4, cardinality: 3 }, spans: { high_span_traces: { enabled: true, count: 1, span_count: 20_000 } },
    });
    const all = spansOf(c);
    const traces = new Map<string, number>();
    for (const s of all) traces.set(hex(s.span.traceId), (traces.get(hex(s.span.traceId)) ?? 0) + 1);
    expect(traces.size).toBe(21);
    expect([...traces.values()]).toContain(20_000);
    const values = new Set(all.map((s) => JSON.stringify(attr(s.span, 'custom.attr.1'))));
    expect(values.size).toBe(3);
    expect(new Set(all.map((s) => s.service))).toEqual(new Set(['edge', 'b', 'c', 'd']));
  });

  it('keeps custom attribute keys distinct at any cardinality (values above 2^20 included)', () => {
    const all = spansOf(config({ count: 300, custom_attributes: { count: 3, cardinality: 50_000_000 } }));
    for (const { span } of all) {
      const keys = span.attributes.map((a) => a.key).filter((k) => k.startsWith('custom.attr.'));
      expect(keys).toEqual(['custom.attr.1', 'custom.attr.2', 'custom.attr.3']);
    }
    expect(all.some((s) => (attr(s.span, 'custom.attr.2')!.intValue as number) >= 2 ** 20)).toBe(true);
  });
});

describe('span references for correlated logs', () => {
  it('collecting them does not change the traces', () => {
    const cfg = config({ count: 30 });
    const plain = [...signalBlocks('traces', cfg, cfg.seed)];
    const refs: import('../../src/generator/traces.js').SpanRef[] = [];
    const withRefs = [...signalBlocks('traces', cfg, cfg.seed, { refs })];
    expect(refs.length).toBeGreaterThanOrEqual(30);
    expect(JSON.stringify(withRefs)).toBe(JSON.stringify(plain));
  });
});
