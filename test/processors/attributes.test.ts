import { describe, expect, it } from 'vitest';
import { attr, harness, twoResources } from './harness.js';

describe('attributes and resource', () => {
  it('apply the Collector\'s actions once, in order, to spans and resources of every frame', () => {
    const h = harness(twoResources, [
      ['resource', { attributes: [{ key: 'loadtest.run', value: 'r7', action: 'insert' }, { key: 'service.name', value: 'x', action: 'update' }] }],
      ['attributes/a', { actions: [{ key: 'k', action: 'delete' }, { key: 'env', value: 'test', action: 'upsert' }] }],
      ['attributes/b', { actions: [{ key: 'env', value: 'prod', action: 'insert' }, { key: 'n', value: 3, action: 'insert' }] }],
      ['batch_splitter', { max_items: 1 }],
    ]);
    expect(h.compiled.frames).toHaveLength(2);
    for (const reqs of Object.values(h.cycle(0))) {
      for (const req of reqs) {
        const rs = req.resourceSpans[0];
        expect(attr(rs.resource.attributes, 'loadtest.run')).toBe('r7');
        expect(attr(rs.resource.attributes, 'service.name')).toBe('x');
        const s = rs.scopeSpans[0].spans[0];
        expect(s.attributes.map((a: any) => a.key)).toEqual(['env', 'n']);
        expect(attr(s.attributes, 'env')).toBe('test');
        expect(Number(s.attributes[1].value.intValue)).toBe(3);
      }
    }
  });
});
