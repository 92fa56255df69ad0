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

describe('resource with from_env', () => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=load%20test,service.name=from-attributes,team=a%2Cb,owner=env',
    OTEL_SERVICE_NAME: 'checkout-load',
  };

  it('upserts OTEL_RESOURCE_ATTRIBUTES, then service.name from OTEL_SERVICE_NAME, then its own list, on every resource', () => {
    const h = harness(twoResources, [
      ['resource', { from_env: true, attributes: [{ key: 'owner', value: 'config', action: 'upsert' }, { key: 'team', value: 'ignored', action: 'insert' }] }],
    ], { env });
    for (const reqs of Object.values(h.cycle(0))) {
      for (const rs of reqs[0].resourceSpans) {
        const attrs = rs.resource.attributes;
        expect(attr(attrs, 'deployment.environment')).toBe('load test');
        // OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, as the specification says.
        expect(attr(attrs, 'service.name')).toBe('checkout-load');
        expect(attr(attrs, 'team')).toBe('a,b');
        // The config's own upsert wins over the environment; its insert does not replace what is there.
        expect(attr(attrs, 'owner')).toBe('config');
      }
    }
  });

  it('without from_env the variables are not read', () => {
    const h = harness(twoResources, [['resource', { attributes: [{ key: 'x', value: '1', action: 'insert' }] }]], { env });
    const rs = h.cycle(0).proto[0].resourceSpans;
    expect(rs.map((r: any) => attr(r.resource.attributes, 'service.name'))).toEqual(['a', 'b']);
    expect(attr(rs[0].resource.attributes, 'deployment.environment')).toBeUndefined();
  });
});
