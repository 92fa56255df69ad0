import { describe, expect, it } from 'vitest';
import { attr, harness, twoResources } from './harness.js';

describe('cardinality', () => {
  it('appends one fixed-width number per cycle to every resource, keeping old values apart', () => {
    const h = harness(twoResources, [['cardinality', { attribute: 'service.instance.id', values: 120 }]]);
    expect(h.compiled.digitWidths).toEqual([3]);
    for (const cycle of [0, 7, 119, 120]) {
      const { proto, json } = h.cycle(cycle);
      const n = String(cycle % 120).padStart(3, '0');
      for (const reqs of [proto, json]) {
        const rs = reqs[0].resourceSpans;
        expect(attr(rs[0].resource.attributes, 'service.instance.id')).toBe(`i-a-${n}`);
        expect(attr(rs[1].resource.attributes, 'service.instance.id')).toBe(n);
        expect(attr(rs[0].scopeSpans[0].spans[0].attributes, 'service.instance.id')).toBeUndefined();
      }
    }
  });

  it('gives worker w of W the values w, W + w, 2W + w, … so workers never send the same value in one cycle', () => {
    const seen = new Set<string>();
    for (const worker of [0, 1, 2]) {
      const h = harness(twoResources, [['cardinality', { attribute: 'x', scope: 'item', values: 10 }]], { worker, workers: 3 });
      for (const cycle of [0, 1, 2, 3]) {
        const span = h.cycle(cycle).proto[0].resourceSpans[0].scopeSpans[0].spans[0];
        const v = attr(span.attributes, 'x')!;
        expect(Number(v)).toBe((cycle * 3 + worker) % 10);
        seen.add(v);
      }
    }
    expect(seen.size).toBe(10);
  });

  it('stays in place after batch_splitter splits the template, in both encodings', () => {
    const h = harness(twoResources, [['cardinality', { attribute: 'service.instance.id', values: 5 }], ['batch_splitter', { max_items: 1 }]]);
    expect(h.compiled.frames).toHaveLength(2);
    const { proto, json } = h.cycle(3);
    for (const reqs of [proto, json]) expect(reqs.map((r) => attr(r.resourceSpans[0].resource.attributes, 'service.instance.id'))).toEqual(['i-a-3', '3']);
  });
});
