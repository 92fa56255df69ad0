import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import type { Signal } from '../../src/otlp/signals.js';
import { compile } from '../../src/compile/compile.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { data, hex, id } from './fixtures.js';

/** The splitter runs inside compile: the requests it made, decoded from the frames. */
function splitRequests(signal: Signal, tpl: TemplateData, limits: { maxItems?: number; maxBytes?: number }): any[] {
  const ct = compile([tpl], { idRegen: true, timestamps: true, ...limits, encodings: ['proto'] });
  return ct.frames.map((f) => requestType(signal).decode(f.proto!.bytes));
}

describe('batch_splitter', () => {
  it('repeats resource and scope per request, keeps each log record once, stays under the byte limit', () => {
    const mk = (svc: string, n: number) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] },
      scopeLogs: [{ scope: { name: `${svc}-lib` }, logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `${svc}-${i}-${'x'.repeat(i % 50)}` } })) }],
    });
    const tpl = data('logs', { resourceLogs: [mk('a', 40), mk('b', 40)] });
    const out = splitRequests('logs', tpl, { maxBytes: 1024 });
    const bodies: string[] = [];
    for (const req of out) {
      expect(requestType('logs').encode(req).finish().length).toBeLessThanOrEqual(1024);
      for (const rl of req.resourceLogs) {
        const svc = rl.resource.attributes[0].value.stringValue;
        expect(rl.scopeLogs[0].scope.name).toBe(`${svc}-lib`);
        bodies.push(...rl.scopeLogs[0].logRecords.map((r: any) => r.body.stringValue));
        for (const r of rl.scopeLogs[0].logRecords) expect(r.body.stringValue.startsWith(svc)).toBe(true);
      }
    }
    expect(out.length).toBeGreaterThan(2);
    expect(bodies).toEqual(tpl.request.resourceLogs.flatMap((rl: any) => rl.scopeLogs[0].logRecords.map((r: any) => r.body.stringValue)));
    expect(compile([tpl], { idRegen: true, timestamps: true, encodings: ['proto'] }).totalEvents).toBe(80);
  });

  it('keeps a trace spread over two services together in one request', () => {
    const span = (svcTrace: number, n: number) => ({ traceId: id(16, 0, svcTrace), spanId: id(8, 0, n), name: 's' });
    const tpl = data('traces', { resourceSpans: [
      { scopeSpans: [{ spans: [span(1, 1), span(2, 2), span(3, 3)] }] },
      { scopeSpans: [{ spans: [span(1, 4), span(2, 5), span(3, 6)] }] },
    ] });
    const out = splitRequests('traces', tpl, { maxItems: 2 });
    expect(out).toHaveLength(3);
    for (const req of out) {
      const spans = req.resourceSpans.flatMap((rs: any) => rs.scopeSpans[0].spans);
      expect(spans).toHaveLength(2);
      expect(new Set(spans.map((s: any) => hex(s.traceId))).size).toBe(1);
      expect(req.resourceSpans).toHaveLength(2);
    }
  });
});
