import { describe, expect, it } from 'vitest';
import { signalBlocks } from '../../src/generator/dataset.js';
import type { SpanRef } from '../../src/generator/traces.js';
import { validConfig } from './fixture.js';

interface Rec { severityText: string; severityNumber: number; body: { stringValue: string }; timeUnixNano: number; observedTimeUnixNano: number; traceId?: Uint8Array; spanId?: Uint8Array; attributes: { key: string }[] }

function config(logs: Record<string, unknown>) {
  return validConfig({ seed: 8, traces: { count: 50 }, logs });
}

function recordsOf(cfg: ReturnType<typeof config>, refs?: SpanRef[]): { rec: Rec; service: string }[] {
  const out: { rec: Rec; service: string }[] = [];
  for (const b of signalBlocks('logs', cfg, cfg.seed, { refs })) {
    const rl = b.resource as { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeLogs: { logRecords: Rec[] }[] };
    const service = rl.resource.attributes.find((a) => a.key === 'service.name')!.value.stringValue;
    for (const sl of rl.scopeLogs) for (const rec of sl.logRecords) out.push({ rec, service });
  }
  return out;
}

describe('log generation', () => {
  it('mixes types by percentage with severities weighted to INFO', () => {
    const recs = recordsOf(config({ count: 10_000, types: { http_access: { percentage: 50 }, application: { percentage: 30, services: ['billing'] }, system: { percentage: 20 } } }));
    expect(recs).toHaveLength(10_000);
    const share = (svc: string) => recs.filter((r) => r.service === svc).length / recs.length;
    expect(share('ingress-nginx')).toBeCloseTo(0.5, 1);
    expect(share('billing')).toBeCloseTo(0.3, 1);
    expect(share('journald')).toBeCloseTo(0.2, 1);
    const sev = (t: string) => recs.filter((r) => r.rec.severityText === t).length / recs.length;
    expect(sev('INFO')).toBeGreaterThan(0.6);
    expect(sev('WARN')).toBeGreaterThan(0.02);
    expect(sev('ERROR')).toBeGreaterThan(0.01);
    expect(sev('ERROR')).toBeLessThan(0.1);
    const access = recs.find((r) => r.service === 'ingress-nginx')!.rec;
    expect(access.body.stringValue).toMatch(/^203\.0\.113\.\d+ - - "(GET|POST|PUT) \/\S* HTTP\/1\.1" \d{3} \d+ "-" ".+" \d+\.\d{3}$/);
    expect(access.attributes.map((a) => a.key)).toContain('http.response.status_code');
  });

  it('spreads records in time order over the file with observed time after time', () => {
    const recs = recordsOf(config({ count: 2000 }));
    const times = recs.map((r) => r.rec.timeUnixNano).sort((a, b) => a - b);
    expect(times[0]).toBeLessThan(1e6);
    expect(times[times.length - 1]).toBeLessThan(1e9);
    for (const { rec } of recs) expect(rec.observedTimeUnixNano).toBeGreaterThan(rec.timeUnixNano);
  });

  it('with correlate, points http and application records at spans of generated traces', () => {
    const cfg = config({ count: 500, correlate: true, types: { http_access: { percentage: 50 }, application: { percentage: 50 } } });
    const refs: SpanRef[] = [];
    for (const _ of signalBlocks('traces', cfg, cfg.seed, { refs })) void _;
    const known = new Set(refs.map((r) => Buffer.from(r.traceId).toString('hex') + Buffer.from(r.spanId).toString('hex')));
    const recs = recordsOf(cfg, refs);
    for (const { rec } of recs) expect(known.has(Buffer.from(rec.traceId!).toString('hex') + Buffer.from(rec.spanId!).toString('hex'))).toBe(true);
    const uncorrelated = recordsOf(config({ count: 50 }), refs);
    expect(uncorrelated.every((r) => r.rec.traceId === undefined)).toBe(true);
  });
});
