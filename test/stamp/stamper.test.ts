import { describe, expect, it } from 'vitest';
import { encodeOtlpJson } from '../../src/otlp/json-encode.js';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import type { Encoding } from '../../src/otlp/signals.js';
import { senderWord } from '../../src/stamp/id-derive.js';
import { SentTraces } from '../../src/stamp/sent-traces.js';
import { Stamper, type StamperOptions } from '../../src/stamp/stamper.js';
import { data, hex, id, traces } from '../compile/fixtures.js';

const NOW_MS = 1_700_000_000_123;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;
const ALL: CompileOptions = { idRegen: true, timestamps: true, encodings: ['proto', 'json'] };
const STAMP: StamperOptions = { seed: [0x12345678, 0x9abcdef0], worker: 0, backdateMs: 0, now: () => NOW_MS };

/** Starts a cycle as the id_regen and jitter processors' cycle hooks do. */
function begin(st: Stamper, cycle: number, jitterMs = 0, ids = true): Stamper {
  st.beginCycle(cycle);
  if (ids) st.newIds();
  if (jitterMs > 0) st.drawJitter(jitterMs);
  return st;
}

function stamper(ct: CompiledTemplate, opts: Partial<StamperOptions> & { jitterMs?: number } = {}, cycle = 0): Stamper {
  const { jitterMs, ...rest } = opts;
  return begin(new Stamper(ct, { ...STAMP, ...rest }), cycle, jitterMs, ct.idRegen);
}

function stampAll(ct: CompiledTemplate, st: Stamper, enc: Encoding = 'proto'): any[] {
  const buf = Buffer.alloc(ct.maxFrameBytes);
  return ct.frames.map((_, i) => {
    const n = st.stamp(i, enc, buf);
    const bytes = Buffer.from(buf.subarray(0, n));
    return enc === 'proto' ? requestType(ct.signal).decode(bytes) : JSON.parse(bytes.toString('utf8'));
  });
}

const ns = (v: any): bigint => BigInt(v.toString());
const spansOf = (reqs: any[]): any[] => reqs.flatMap((r) => r.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));

describe('Stamper on traces', () => {
  const tpl = traces(3, 4);
  const ct = compile([tpl], ALL);

  it('gives fresh, non-zero, consistent ids every cycle', () => {
    const st = stamper(ct);
    const orig = spansOf([tpl.request]);
    const c0 = spansOf(stampAll(ct, st));
    begin(st, 1);
    const c1 = spansOf(stampAll(ct, st));
    for (const spans of [c0, c1]) {
      expect(spans).toHaveLength(12);
      const byOrig = new Map(orig.map((o, i) => [hex(o.spanId), spans[i]]));
      for (let i = 0; i < spans.length; i++) {
        const s = spans[i], o = orig[i];
        expect(hex(s.traceId)).not.toMatch(/^0+$/);
        expect(hex(s.spanId)).not.toMatch(/^0+$/);
        expect(hex(s.traceId)).not.toBe(hex(o.traceId));
        expect(hex(s.spanId)).not.toBe(hex(o.spanId));
        if (o.parentSpanId.length) expect(hex(s.parentSpanId)).toBe(hex(byOrig.get(hex(o.parentSpanId)).spanId));
        else expect(s.parentSpanId.length).toBe(0);
        for (const [k, l] of s.links.entries()) {
          expect(hex(l.spanId)).toBe(hex(byOrig.get(hex(o.links[k].spanId)).spanId));
          expect(hex(l.traceId)).toBe(hex(s.traceId));
        }
      }
      expect(new Set(spans.map((s) => hex(s.traceId))).size).toBe(3);
      expect(new Set(spans.map((s) => hex(s.spanId))).size).toBe(12);
    }
    for (let i = 0; i < c0.length; i++) {
      expect(hex(c1[i].traceId)).not.toBe(hex(c0[i].traceId));
      expect(hex(c1[i].spanId)).not.toBe(hex(c0[i].spanId));
    }
  });

  it('is deterministic in (seed, worker, cycle) and differs across workers', () => {
    const a = spansOf(stampAll(ct, stamper(ct)));
    const b = spansOf(stampAll(ct, stamper(ct)));
    const w1 = spansOf(stampAll(ct, stamper(ct, { worker: 1 })));
    expect(a.map((s) => hex(s.spanId))).toEqual(b.map((s) => hex(s.spanId)));
    const seen0 = new Set(a.map((s) => hex(s.spanId)));
    for (const s of w1) expect(seen0.has(hex(s.spanId))).toBe(false);
  });

  it('writes base + relative offset exactly, beyond 2^53', () => {
    const big = 2 ** 53 - 1;
    const tpl2 = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: id(16, 9, 0), spanId: id(8, 9, 0), name: 'a', startTimeUnixNano: 0, endTimeUnixNano: big, events: [{ timeUnixNano: 4294967297 }] },
    ] }] }] });
    const ct2 = compile([tpl2], ALL);
    const [s] = spansOf(stampAll(ct2, stamper(ct2, { backdateMs: 60_000 })));
    const base = NOW_NS - 60_000_000_000n;
    expect(ns(s.startTimeUnixNano)).toBe(base);
    expect(ns(s.endTimeUnixNano)).toBe(base + BigInt(big));
    expect(ns(s.events[0].timeUnixNano)).toBe(base + 4294967297n);
    for (const [i, sp] of spansOf(stampAll(ct, stamper(ct))).entries()) {
      const o = spansOf([tpl.request])[i];
      expect(ns(sp.startTimeUnixNano)).toBe(NOW_NS + BigInt(o.startTimeUnixNano));
      expect(ns(sp.endTimeUnixNano)).toBe(NOW_NS + BigInt(o.endTimeUnixNano));
    }
  });

  it('jitters whole traces: one shift per trace, different traces differently', () => {
    const tpl3 = traces(20, 3);
    const ct3 = compile([tpl3], ALL);
    const orig = spansOf([tpl3.request]);
    const spans = spansOf(stampAll(ct3, stamper(ct3, { jitterMs: 1000 })));
    const shifts = new Map<string, bigint>();
    spans.forEach((s, i) => {
      const shift = NOW_NS + BigInt(orig[i].startTimeUnixNano) - ns(s.startTimeUnixNano);
      expect(NOW_NS + BigInt(orig[i].endTimeUnixNano) - ns(s.endTimeUnixNano)).toBe(shift);
      const key = hex(s.traceId);
      if (shifts.has(key)) expect(shifts.get(key)).toBe(shift);
      shifts.set(key, shift);
      expect(shift >= 0n && shift <= 1_000_000_000n).toBe(true);
    });
    expect(new Set(shifts.values()).size).toBe(20);
  });

  it('stamps JSON frames in place, agreeing with the proto frames of the same cycle', () => {
    const tpl4 = traces(2, 3, { attr: 'ünïcode ✓' });
    const ct4 = compile([tpl4], ALL);
    for (const cycle of [0, 7]) {
      const st = stamper(ct4, { jitterMs: 500 }, cycle);
      const proto = stampAll(ct4, st, 'proto');
      const json = stampAll(ct4, st, 'json');
      expect(json).toEqual(proto.map((p) => JSON.parse(encodeOtlpJson('traces', p))));
      expect(json[0].resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano).toMatch(/^\d{19}$/);
    }
  });

  it('leaves ids and times alone when the template was compiled without them', () => {
    const plain = compile([tpl], { ...ALL, idRegen: false, timestamps: false });
    const st = stamper(plain);
    const [req] = stampAll(plain, st);
    expect(req.toJSON()).toEqual(requestType('traces').decode(requestType('traces').encode(tpl.request).finish()).toJSON());
    expect(() => st.newIds()).toThrow(/idRegen/);
    const idsOnly = compile([tpl], { ...ALL, timestamps: false });
    const spans = spansOf(stampAll(idsOnly, stamper(idsOnly, { jitterMs: 1000 })));
    expect(ns(spans[1].startTimeUnixNano)).toBe(1000n);
    expect(hex(spans[1].spanId)).not.toBe(hex(spansOf([tpl.request])[1].spanId));
  });
});

describe('Stamper on logs and metrics', () => {
  const traceId = id(16, 1, 0);
  const spanId = id(8, 2, 1);
  const logs = data('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [
    { timeUnixNano: 10, observedTimeUnixNano: 20, traceId, spanId, body: { stringValue: 'x' } },
    { timeUnixNano: 30, body: { stringValue: 'uncorrelated' } },
  ] }] }] });
  const point = (t: number, extra: object = {}) => ({ startTimeUnixNano: 0, timeUnixNano: t, ...extra });
  const ex = [{ timeUnixNano: 5, traceId, spanId, asDouble: 1 }];
  const metrics = data('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [
    { name: 'g', gauge: { dataPoints: [point(100, { asInt: 3, exemplars: ex })] } },
    { name: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point(200, { asDouble: 1 })] } },
    { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [point(300, { count: 1, bucketCounts: [1], exemplars: ex })] } },
    { name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [point(400, { count: 1, exemplars: ex })] } },
    { name: 'q', summary: { dataPoints: [point(500, { count: 1, sum: 2 })] } },
  ] }] }] });

  it('keeps logs and exemplars correlated with the traces of the same seed and cycle', () => {
    const ctT = compile([traces(1, 2)], ALL);
    const ctL = compile([logs], ALL);
    const ctM = compile([metrics], ALL);
    const stT = stamper(ctT), stL = stamper(ctL), stM = stamper(ctM);
    for (const cycle of [3, 4]) {
      for (const st of [stT, stL, stM]) begin(st, cycle);
      const span = spansOf(stampAll(ctT, stT))[1];
      const [lr0, lr1] = stampAll(ctL, stL)[0].resourceLogs[0].scopeLogs[0].logRecords;
      expect(hex(lr0.traceId)).toBe(hex(span.traceId));
      expect(hex(lr0.spanId)).toBe(hex(span.spanId));
      expect(lr1.traceId.length).toBe(0);
      expect(ns(lr0.timeUnixNano)).toBe(NOW_NS + 10n);
      expect(ns(lr0.observedTimeUnixNano)).toBe(NOW_NS + 20n);
      expect(ns(lr1.timeUnixNano)).toBe(NOW_NS + 30n);
      const ms = stampAll(ctM, stM)[0].resourceMetrics[0].scopeMetrics[0].metrics;
      const kinds = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];
      ms.forEach((m: any, i: number) => {
        const p = m[kinds[i]!].dataPoints[0];
        expect(ns(p.timeUnixNano)).toBe(NOW_NS + BigInt((i + 1) * 100));
        expect(ns(p.startTimeUnixNano)).toBe(NOW_NS);
        for (const e of p.exemplars ?? []) {
          expect(hex(e.traceId)).toBe(hex(span.traceId));
          expect(hex(e.spanId)).toBe(hex(span.spanId));
          expect(ns(e.timeUnixNano)).toBe(NOW_NS + 5n);
        }
      });
      expect(ms[0].gauge.dataPoints[0].exemplars).toHaveLength(1);
    }
  });

  it('follows the latest traces cycle sent (sent-traces): another seed, worker, replica and cycle name the same spans', () => {
    const ctT = compile([traces(1, 2)], ALL);
    const ctL = compile([logs], ALL);
    const ctM = compile([metrics], ALL);
    const sent = new SentTraces(SentTraces.buffer());
    // The traces worker: worker 1 of replica 2, in its cycle 7.
    const stT = begin(new Stamper(ctT, { ...STAMP, seed: [5, 6], worker: 1, replica: 2 }), 7);
    const span = spansOf(stampAll(ctT, stT))[1];
    sent.publish({ seed: [5, 6], sender: senderWord(2, 1), cycle: 7, idRegen: true });
    for (const [worker, cycle] of [[0, 0], [2, 9]]) {
      const stL = begin(new Stamper(ctL, { ...STAMP, worker, sentTraces: sent }), cycle);
      const stM = begin(new Stamper(ctM, { ...STAMP, worker, sentTraces: sent }), cycle);
      const lr = stampAll(ctL, stL)[0].resourceLogs[0].scopeLogs[0].logRecords[0];
      expect([hex(lr.traceId), hex(lr.spanId)]).toEqual([hex(span.traceId), hex(span.spanId)]);
      const e = stampAll(ctM, stM)[0].resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0];
      expect([hex(e.traceId), hex(e.spanId)]).toEqual([hex(span.traceId), hex(span.spanId)]);
    }
    // A traces pipeline without id_regen sends the original ids: so do its followers.
    sent.publish({ seed: [0, 0], sender: 0, cycle: 0, idRegen: false });
    const lr = stampAll(ctL, begin(new Stamper(ctL, { ...STAMP, sentTraces: sent }), 3))[0].resourceLogs[0].scopeLogs[0].logRecords[0];
    expect([hex(lr.traceId), hex(lr.spanId)]).toEqual([hex(traceId), hex(spanId)]);
  });

  it('uses ids of its own before any traces cycle was sent', () => {
    const ctL = compile([logs], ALL);
    const sent = new SentTraces(SentTraces.buffer());
    const lr = stampAll(ctL, stamper(ctL, { sentTraces: sent }))[0].resourceLogs[0].scopeLogs[0].logRecords[0];
    const own = stampAll(ctL, stamper(ctL))[0].resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(hex(lr.traceId)).toBe(hex(own.traceId));
  });

  it('agrees between JSON and proto for logs and metrics', () => {
    for (const [signal, tpl] of [['logs', logs], ['metrics', metrics]] as [Signal, any][]) {
      const ct = compile([tpl], ALL);
      const st = stamper(ct, { jitterMs: 50 });
      const proto = stampAll(ct, st, 'proto');
      expect(stampAll(ct, st, 'json')).toEqual(proto.map((p) => JSON.parse(encodeOtlpJson(signal, p))));
    }
  });

  it('jitters each log record and data point on its own', () => {
    const many = data('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 10 }, () => ({ timeUnixNano: 10, observedTimeUnixNano: 10 })) }] }] });
    const ct = compile([many], ALL);
    const recs = stampAll(ct, stamper(ct, { jitterMs: 1000 }))[0].resourceLogs[0].scopeLogs[0].logRecords;
    for (const r of recs) expect(ns(r.timeUnixNano)).toBe(ns(r.observedTimeUnixNano));
    expect(new Set(recs.map((r: any) => ns(r.timeUnixNano))).size).toBe(10);
  });
});
