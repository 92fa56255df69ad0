import { describe, expect, it } from 'vitest';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import { DELIVERY_BUCKET_MS } from '../../src/compile/delivery-schedule.js';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import type { DeliveryPlan } from '../../src/compile/plan.js';
import { requestType } from '../../src/otlp/proto.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data, hex, id } from './fixtures.js';

const MS = 1_000_000;
const NONE = { share: 0, delayMs: 0 };
const AS_ENDED: DeliveryPlan = { mode: 'as_ended', lateSpans: NONE, lateRoot: NONE, rootless: 0 };

/** Traces whose root lasts `rootMs` and whose children end at `childEndsMs` (each child starts at 0); times relative. */
function traceSet(rootMs: number, childEndsMs: number[], count = 1): TemplateData {
  const spans: object[] = [];
  for (let t = 0; t < count; t++) {
    const root = id(8, 2, t * 100);
    spans.push({ traceId: id(16, 1, t), spanId: root, name: 'root', startTimeUnixNano: 0, endTimeUnixNano: rootMs * MS });
    childEndsMs.forEach((end, c) => spans.push({ traceId: id(16, 1, t), spanId: id(8, 2, t * 100 + c + 1), parentSpanId: root, name: `child-${c}`, startTimeUnixNano: 0, endTimeUnixNano: end * MS }));
  }
  return data('traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

function compileWith(tpl: TemplateData, plan: DeliveryPlan, more: Partial<CompileOptions> & { eventsPerSecond?: number; seed?: number } = {}): CompiledTemplate {
  const { eventsPerSecond, seed, ...rest } = more;
  return compile([tpl], { idRegen: true, timestamps: true, encodings: ['proto'], delivery: { plan, eventsPerSecond, seed }, ...rest });
}

const spansOf = (ct: CompiledTemplate, f: number): any[] =>
  (requestType('traces').decode(ct.frames[f]!.proto!.bytes) as any).resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
const endMs = (s: any): number => Number(BigInt(s.endTimeUnixNano.toString())) / MS;

describe('delivery at compile time', () => {
  it('as_ended: groups spans into frames by the bucket their end falls in, in due order, the root last', () => {
    const ct = compileWith(traceSet(2000, [120, 700, 1400, 1900]), AS_ENDED);
    expect(Array.from(ct.schedule!.due)).toEqual([150, 700, 1400, 1900, 2000]);
    expect(ct.frames.map((_, f) => spansOf(ct, f).map((s) => s.name))).toEqual([['child-0'], ['child-1'], ['child-2'], ['child-3'], ['root']]);
    // A frame is due no earlier than the end of any span in it.
    for (let f = 0; f < ct.frames.length; f++) for (const s of spansOf(ct, f)) expect(endMs(s)).toBeLessThanOrEqual(ct.schedule!.due[f]!);
  });

  it('starts traces spread over the cycle in proportion to their spans, the cycle lasting events / rate', () => {
    const spans: object[] = [];
    [1, 1, 2, 4].forEach((n, t) => {
      for (let s = 0; s < n; s++) spans.push({ traceId: id(16, 1, t), spanId: id(8, 2, t * 10 + s), parentSpanId: s ? id(8, 2, t * 10) : undefined, startTimeUnixNano: 0, endTimeUnixNano: MS });
    });
    const ct = compileWith(data('traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] }), AS_ENDED, { eventsPerSecond: 4 });
    expect(ct.schedule!.cycleMs).toBe(2000);
    expect(Array.from(ct.schedule!.unitStartMs)).toEqual([0, 250, 500, 1000]);
    expect(Array.from(ct.schedule!.due)).toEqual([50, 300, 550, 1050]);
  });

  it('whole: a trace goes in one frame once it has ended; rootless traces lose their root every cycle', () => {
    const plan: DeliveryPlan = { mode: 'whole', lateSpans: NONE, lateRoot: NONE, rootless: 0.5 };
    const ct = compileWith(traceSet(2000, [100, 900], 4), plan, { eventsPerSecond: 8 });
    // 4 traces of 3 spans; 2 lose their root: 10 spans, over 10 / 8 s.
    expect(ct.totalEvents).toBe(10);
    const frames = ct.frames.map((_, f) => spansOf(ct, f));
    expect(frames.every((spans) => new Set(spans.map((s) => hex(s.traceId))).size === 1)).toBe(true);
    expect(frames.filter((spans) => spans.some((s) => s.name === 'root'))).toHaveLength(2);
    frames.forEach((spans, f) => expect(ct.schedule!.due[f]!).toBeGreaterThanOrEqual(ct.schedule!.unitStartMs[0]! + 2000));
  });

  it('late_spans delays round(share × spans) spans by their delay, late_root that share of roots; the same seed picks the same ones', () => {
    const tpl = traceSet(30, [10, 20, 25, 28], 20);
    const late = (plan: DeliveryPlan, seed: number): { names: string[]; ids: string[] } => {
      const ct = compileWith(tpl, plan, { seed });
      const names: string[] = [], ids: string[] = [];
      ct.frames.forEach((_, f) => {
        if (ct.schedule!.due[f]! < 60_000) return;
        for (const s of spansOf(ct, f)) {
          names.push(s.name);
          ids.push(hex(s.spanId));
        }
      });
      return { names, ids };
    };
    const spans = late({ ...AS_ENDED, lateSpans: { share: 0.1, delayMs: 60_000 } }, 7);
    // 100 spans: 10 arrive a minute late.
    expect(spans.ids).toHaveLength(10);
    const roots = late({ ...AS_ENDED, lateRoot: { share: 0.5, delayMs: 60_000 } }, 7);
    expect(roots.names).toEqual(Array(10).fill('root'));
    expect(late({ ...AS_ENDED, lateSpans: { share: 0.1, delayMs: 60_000 } }, 7)).toEqual(spans);
    expect(late({ ...AS_ENDED, lateSpans: { share: 0.1, delayMs: 60_000 } }, 8)).not.toEqual(spans);
  });

  it('keeps batch_splitter limits inside a bucket: its frames share the bucket\'s due time', () => {
    // A 1 ms cycle: the 12 children of 3 traces end in the first bucket, the 3 roots in the second.
    const ct = compileWith(traceSet(80, [10, 10, 10, 10], 3), AS_ENDED, { maxItems: 4, eventsPerSecond: 15_000 });
    expect(ct.frames.map((f) => f.events)).toEqual([4, 4, 4, 3]);
    expect(Array.from(ct.schedule!.due)).toEqual([DELIVERY_BUCKET_MS, DELIVERY_BUCKET_MS, DELIVERY_BUCKET_MS, 2 * DELIVERY_BUCKET_MS]);
  });

  it('a stamper stamps a scheduled cycle from its origin: a trace\'s base is the origin plus its start, whatever the clock says', () => {
    const ct = compileWith(traceSet(2000, [500], 2), AS_ENDED, { eventsPerSecond: 4, encodings: ['proto', 'json'] });
    expect(Array.from(ct.schedule!.unitStartMs)).toEqual([0, 500]);
    const origin = 1_700_000_000_000;
    const st = new Stamper(ct, { seed: [1, 2], worker: 0, backdateMs: 0, now: () => origin + 99_999 });
    st.beginCycle(3, origin);
    const buf = Buffer.alloc(ct.maxFrameBytes);
    const ends = ct.frames.flatMap((_, f) => {
      const spans = (requestType('traces').decode(buf.subarray(0, st.stamp(f, 'proto', buf))) as any).resourceSpans[0].scopeSpans[0].spans;
      // OTLP/JSON is stamped from the same bases.
      const json = JSON.parse(buf.subarray(0, st.stamp(f, 'json', buf)).toString('utf8')).resourceSpans[0].scopeSpans[0].spans;
      expect(json.map((s: any) => s.endTimeUnixNano)).toEqual(spans.map((s: any) => s.endTimeUnixNano.toString()));
      return spans.map((s: any) => ({ due: origin + ct.schedule!.due[f]!, end: Number(BigInt(s.endTimeUnixNano.toString()) / 1_000_000n) }));
    });
    expect(ends.map((e: { end: number }) => e.end - origin).sort((x: number, y: number) => x - y)).toEqual([500, 1000, 2000, 2500]);
    for (const e of ends) expect(e.end).toBeLessThanOrEqual(e.due);
    expect(() => new Stamper(compile([traceSet(10, [5])], { idRegen: false, timestamps: true, encodings: ['proto'] }), { seed: [1, 2], worker: 0, backdateMs: 0 }).beginCycle(0, origin))
      .toThrow(/needs a template compiled with a delivery schedule/);
  });
});
