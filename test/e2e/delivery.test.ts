import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { capturesClosedAfterEach, type Capture } from '../helpers/capture.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { writeTemplate, writeTracesTemplate } from '../helpers/templates.js';

const runCli = cliKilledAfterEach();
const capture = capturesClosedAfterEach();
const startSink = sinksClosedAfterEach();

const MS = 1_000_000n;
const ns = (v: any): bigint => BigInt(v.toString());
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** One trace of 5 spans, times relative: a root of 2 s and children ending at 100 ms, 700 ms, 1.4 s and 1.9 s. */
function fiveSpanTrace(): any {
  const traceId = Buffer.alloc(16, 7);
  const id = (n: number): Buffer => Buffer.from([0, 0, 0, 0, 0, 0, 0, n]);
  const span = (n: number, name: string, startMs: number, endMs: number) => ({
    traceId, spanId: id(n), parentSpanId: n === 1 ? undefined : id(1), name, startTimeUnixNano: String(BigInt(startMs) * MS), endTimeUnixNano: String(BigInt(endMs) * MS),
  });
  return requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [
    span(1, 'root', 0, 2000), span(2, 'auth', 10, 100), span(3, 'db', 120, 700), span(4, 'render', 710, 1400), span(5, 'flush', 1410, 1900),
  ] }] }] });
}

/** Every span the capture got, with the arrival of its request. */
function spans(c: Capture): { span: any; arrivedNs: bigint }[] {
  return c.requests.flatMap(({ request, arrivedNs }) =>
    request.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((span: any) => ({ span, arrivedNs })))));
}

/** `inOrder`: one request in flight, so requests arrive in the order they were sent (with several, one can overtake another). */
function config(tpl: string, endpoint: string, processors: Record<string, string>, extra: { loops?: number; duration?: string; inOrder?: boolean } = {}): string {
  return `
receivers:
  template/t: { traces: ${tpl}${extra.loops ? `, loops: ${extra.loops}` : ''} }
processors:
${Object.entries(processors).map(([id, body]) => `  ${id}: ${body}`).join('\n')}
exporters:
  otlp_http: { endpoint: ${endpoint}${extra.inOrder ? ', max_in_flight: 1' : ''} }
service:${extra.duration ? `\n  duration: ${extra.duration}` : ''}
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/t], processors: [${Object.keys(processors).join(', ')}], exporters: [otlp_http] }
`;
}

describe('delivery, end to end', () => {
  it('with timestamp align: end (whole traces) no span ends after it arrives; align: start sends a 2 s trace up to 2 s early', async () => {
    const dir = tempDir();
    const tpl = writeTemplate(dir, 'traces', fiveSpanTrace());
    for (const align of ['end', 'start'] as const) {
      const sink = await startSink({ http: '127.0.0.1:0', verify: true });
      const d = runCli(['--config', writeConfig(dir, config(tpl, `http://${sink.httpAddress}`, { id_regen: '{}', timestamp: `{ align: ${align} }` }, { loops: 20 }))]);
      expect(await d.exited, d.stderr()).toBe(0);
      await sink.close();
      const arrival = (await sink.verification())!.arrival;
      expect((await sink.verification())!.checked.traces).toBe(100);
      if (align === 'end') expect(arrival).toMatchObject({ endedAfterArrival: 0, maxEndAfterArrivalMs: 0 });
      else {
        // The four spans ending 700 ms or more in always count (the 100 ms one unless its request took 50 ms); the root ends 2 s after.
        expect(arrival.endedAfterArrival).toBeGreaterThanOrEqual(80);
        expect(arrival.maxEndAfterArrivalMs).toBeGreaterThan(1900);
      }
    }
  });

  it('as_ended sends each span of a 5-span trace once it has ended, children first, the root 2 s after the trace started', async () => {
    const dir = tempDir();
    const sink = await capture('traces');
    const tpl = writeTemplate(dir, 'traces', fiveSpanTrace());
    const d = runCli(['--config', writeConfig(dir, config(tpl, sink.url, { timestamp: '{}', delivery: '{ mode: as_ended }' }, { loops: 1, inOrder: true }))]);
    expect(await d.exited, d.stderr()).toBe(0);
    const got = spans(sink);
    expect(got.map((s) => s.span.name)).toEqual(['auth', 'db', 'render', 'flush', 'root']);
    // One span per request: each went when it ended, never before.
    expect(sink.requests).toHaveLength(5);
    for (const { span, arrivedNs } of got) expect(ns(span.endTimeUnixNano)).toBeLessThanOrEqual(arrivedNs);
    const root = got[4]!;
    expect(root.arrivedNs - ns(root.span.startTimeUnixNano)).toBeGreaterThanOrEqual(2000n * MS);
    // The first child ended 100 ms in, the root 2 s in: the root arrives at least 1.9 s after the
    // first child ended, however late the first child itself was sent on a loaded machine.
    expect(root.arrivedNs - ns(got[0]!.span.endTimeUnixNano)).toBeGreaterThanOrEqual(1900n * MS);
    expect(root.arrivedNs).toBeGreaterThan(got[0]!.arrivedNs);
  });

  it('as_ended holds the ratelimit within 3 % over 20 s, every span sent after it ended and each root after its children', async () => {
    const dir = tempDir();
    const sink = await startSink({ http: '127.0.0.1:0', verify: true });
    const cfg = config(DEMO.traces, `http://${sink.httpAddress}`, { id_regen: '{}', timestamp: '{}', delivery: '{ mode: as_ended }', ratelimit: '{ events_per_second: 3000 }' }, { duration: '20s', inOrder: true });
    const d = runCli(['--config', writeConfig(dir, cfg)]);
    expect(await d.exited, d.stderr()).toBe(0);
    await sink.close();
    const summary = summaries(d.lines).get('traces')!;
    // The daemon's own window: spans it sent over the time it was sending.
    const rate = Number(summary.sent_spans) / Number(summary.duration_s);
    expect(Math.abs(rate / 3000 - 1), `rate ${rate}`).toBeLessThanOrEqual(0.03);
    expect(sink.counts().traces.events).toBe(Number(summary.sent_spans));
    const v = (await sink.verification())!;
    expect(v.arrival, JSON.stringify(v.arrival)).toMatchObject({ endedAfterArrival: 0, rootsBeforeChildren: 0 });
  });

  it('late_spans delays its share of spans by the delay; rootless traces never send their root', async () => {
    const dir = tempDir();
    const sink = await capture('traces');
    // 50 traces of 4 spans (a root and 3 children), each under 1 ms.
    const tpl = writeTracesTemplate(dir, { traces: 50, spansPerTrace: 4 });
    const processors = { id_regen: '{}', timestamp: '{}', delivery: '{ mode: as_ended, late_spans: { share: 0.1, delay: 1500ms }, rootless: 0.2 }' };
    const d = runCli(['--config', writeConfig(dir, config(tpl, sink.url, processors, { loops: 4 }))]);
    expect(await d.exited, d.stderr()).toBe(0);
    const got = spans(sink);
    // 4 cycles of 50 traces, 10 of them without their root.
    expect(got).toHaveLength(4 * (200 - 10));
    const late = got.filter(({ span, arrivedNs }) => arrivedNs - ns(span.endTimeUnixNano) >= 1500n * MS);
    const onTime = got.filter(({ span, arrivedNs }) => arrivedNs - ns(span.endTimeUnixNano) < 750n * MS);
    expect(late.length + onTime.length).toBe(got.length);
    expect(late.length / got.length).toBeGreaterThanOrEqual(0.08);
    expect(late.length / got.length).toBeLessThanOrEqual(0.12);
    const traces = new Set(got.map(({ span }) => hex(span.traceId)));
    const rooted = new Set(got.filter(({ span }) => span.parentSpanId.length === 0).map(({ span }) => hex(span.traceId)));
    expect(traces.size).toBe(200);
    expect(rooted.size / traces.size).toBe(0.8);
    // Late spans go out during later cycles yet keep their own cycle's ids: every trace is whole
    // (4 spans, 3 when rootless) and no span id repeats.
    const perTrace = new Map<string, number>();
    for (const { span } of got) perTrace.set(hex(span.traceId), (perTrace.get(hex(span.traceId)) ?? 0) + 1);
    for (const [trace, n] of perTrace) expect(n).toBe(rooted.has(trace) ? 4 : 3);
    expect(new Set(got.map(({ span }) => hex(span.spanId))).size).toBe(got.length);
  });
});
