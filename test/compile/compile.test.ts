import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { compile } from '../../src/compile/compile.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data, hex, id, traces } from './fixtures.js';

const decode = (b: Buffer) => requestType('traces').decode(b) as any;
const spansOf = (r: any): any[] => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));

describe('compile', () => {
  it('makes one frame per template without limits, with counts and sizes', () => {
    const ct = compile([traces(2, 3), traces(1, 5, { firstSpan: 100 })], { idRegen: true, timestamps: true, encodings: ['proto', 'json'] });
    expect(ct.signal).toBe('traces');
    expect(ct.frames.map((f) => f.events)).toEqual([6, 5]);
    expect(ct.totalEvents).toBe(11);
    expect(ct.maxFrameEvents).toBe(6);
    for (const f of ct.frames) {
      expect(f.byteLength.proto).toBe(f.proto!.bytes.length);
      expect(f.byteLength.json).toBe(f.json!.bytes.length);
      expect(f.byteLength.json!).toBeGreaterThan(f.byteLength.proto!);
      // per span: trace id; span id (+ parent); start, end (+ event)
      expect(f.proto!.traceIds.length / 2).toBe(f.events + (f.events === 6 ? 2 : 1));
    }
    expect(ct.maxFrameBytes).toBe(Math.max(...ct.frames.map((f) => f.byteLength.json!)));
    // the same trace ids in both templates share their groups
    expect(ct.traceGroups.length / 4).toBe(2);
  });

  it('respects batch_splitter item and byte limits, each span exactly once, traces whole when they fit', () => {
    const tpl = traces(30, 7);
    for (const [maxItems, maxBytes] of [[20, undefined], [undefined, 3000], [50, 2500]] as const) {
      const ct = compile([tpl], { idRegen: true, timestamps: true, maxItems, maxBytes, encodings: ['proto'] });
      const seen: string[] = [];
      for (const f of ct.frames) {
        if (maxItems) expect(f.events).toBeLessThanOrEqual(maxItems);
        if (maxBytes) expect(f.byteLength.proto!).toBeLessThanOrEqual(maxBytes);
        const spans = spansOf(decode(f.proto!.bytes));
        expect(spans.length).toBe(f.events);
        // 7-span traces always fit: never split
        const perTrace = new Map<string, number>();
        for (const s of spans) perTrace.set(hex(s.traceId), (perTrace.get(hex(s.traceId)) ?? 0) + 1);
        for (const n of perTrace.values()) expect(n).toBe(7);
        seen.push(...spans.map((s) => hex(s.spanId)));
        expect(decode(f.proto!.bytes).resourceSpans[0].resource.attributes[0].key).toBe('service.name');
      }
      expect(seen.sort()).toEqual(spansOf(tpl.request).map((s) => hex(s.spanId)).sort());
      expect(ct.frames.length).toBeGreaterThan(1);
    }
  });

  it('splits metrics with many points into Metric messages with the same name and metadata', () => {
    const points = Array.from({ length: 25 }, (_, i) => ({ timeUnixNano: i, asInt: i }));
    const tpl = data('metrics', { resourceMetrics: [{ scopeMetrics: [{ scope: { name: 's' }, metrics: [
      { name: 'reqs', unit: '1', metadata: [{ key: 'm', value: { stringValue: 'x' } }], sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points } },
    ] }] }] });
    const ct = compile([tpl], { idRegen: true, timestamps: true, maxItems: 10, encodings: ['proto'] });
    expect(ct.frames.map((f) => f.events)).toEqual([10, 10, 5]);
    const got: number[] = [];
    for (const f of ct.frames) {
      const m = (requestType('metrics').decode(f.proto!.bytes) as any).resourceMetrics[0].scopeMetrics[0].metrics[0];
      expect([m.name, m.unit, m.metadata[0].key, m.sum.aggregationTemporality, m.sum.isMonotonic]).toEqual(['reqs', '1', 'm', 2, true]);
      got.push(...m.sum.dataPoints.map((p: any) => Number(p.asInt)));
    }
    expect(got).toEqual(points.map((p) => p.asInt));
  });

  it('splits a 100k-span trace across frames, keeping one trace id, parent links and exact durations', () => {
    const n = 100_000;
    const spans = Array.from({ length: n }, (_, s) => ({
      traceId: id(16, 1, 0), spanId: id(8, 2, s), parentSpanId: s > 0 ? id(8, 2, s - 1) : undefined,
      name: 'x', startTimeUnixNano: s, endTimeUnixNano: 2 * n - s,
    }));
    const tpl = data('traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] });
    const ct = compile([tpl], { idRegen: true, timestamps: true, maxItems: 8192, encodings: ['proto'] });
    expect(ct.frames.length).toBe(Math.ceil(n / 8192));
    // the clock moves between frames; the trace keeps the base of its first frame
    let clock = 1_700_000_000_000;
    const st = new Stamper(ct, { seed: [1, 2], worker: 0, backdateMs: 0, now: () => (clock += 1000) });
    st.newIds();
    const buf = Buffer.alloc(ct.maxFrameBytes);
    const out = ct.frames.flatMap((_, i) => spansOf(decode(Buffer.from(buf.subarray(0, st.stamp(i, 'proto', buf))))));
    expect(out).toHaveLength(n);
    expect(new Set(out.map((s) => hex(s.traceId))).size).toBe(1);
    const base = BigInt(out[0].startTimeUnixNano.toString());
    for (let s = 1; s < n; s += 997) {
      expect(hex(out[s].parentSpanId)).toBe(hex(out[s - 1].spanId));
      expect(BigInt(out[s].startTimeUnixNano.toString()) - base).toBe(BigInt(s));
      expect(BigInt(out[s].endTimeUnixNano.toString()) - base).toBe(BigInt(2 * n - s));
    }
    expect(new Set(out.map((s) => hex(s.spanId))).size).toBe(n);
  });

  it('copies recorded times exactly (above 2^53) when the pipeline does not stamp times, in proto and JSON', () => {
    const recorded = 1732700000123456789n;
    const tpl = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: id(16, 1, 0), spanId: id(8, 2, 0), name: 'n', startTimeUnixNano: String(recorded), endTimeUnixNano: String(recorded + 1n), events: [{ name: 'e', timeUnixNano: String(recorded + 3n) }] },
    ] }] }] });
    tpl.bytes = Buffer.from(requestType('traces').encode(tpl.request).finish());
    const ct = compile([tpl], { idRegen: true, timestamps: false, encodings: ['proto', 'json'] });
    const proto = spansOf(requestType('traces').toObject(decode(ct.frames[0]!.proto!.bytes), { longs: String }))[0];
    expect([proto.startTimeUnixNano, proto.endTimeUnixNano, proto.events[0].timeUnixNano]).toEqual([recorded, recorded + 1n, recorded + 3n].map(String));
    const json = spansOf(JSON.parse(ct.frames[0]!.json!.bytes.toString()))[0];
    expect([json.startTimeUnixNano, json.endTimeUnixNano, json.events[0].timeUnixNano]).toEqual([recorded, recorded + 1n, recorded + 3n].map(String));
  });

  it('rejects bad input with clear errors', () => {
    const tpl = traces(1, 1);
    expect(() => compile([tpl, data('logs', {})], { idRegen: true, timestamps: true, encodings: ['proto'] })).toThrow(/holds logs/);
    expect(() => compile([tpl], { idRegen: true, timestamps: true, maxBytes: 40, encodings: ['proto'] })).toThrow(TemplateError);
    const badId = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(16, 1, 1), spanId: new Uint8Array(3), name: 'n' }] }] }] }, 'bad.json');
    expect(() => compile([badId], { idRegen: true, timestamps: false, encodings: ['proto'] })).toThrow(/bad\.json: a span id is 3 bytes/);
    const badTime = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(16, 1, 1), spanId: id(8, 1, 1), name: 'n', startTimeUnixNano: -5 }] }] }] }, 't.pb');
    badTime.request.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano = -5;
    expect(() => compile([badTime], { idRegen: true, timestamps: true, encodings: ['proto'] })).toThrow(/t\.pb: span "n" start -5/);
  });
});
