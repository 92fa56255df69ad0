/** What the daemon sends for recorded and flawed templates, as a real child process. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { cliKilledAfterEach, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { ABSOLUTE_BASE, encodeTemplate, logsRequest, spanTimes, tracesRequest, writeTemplate } from '../helpers/templates.js';
import { FakeHttpEndpoint } from '../exporters/fake-endpoint.js';

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();
const endpoints: FakeHttpEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

function run(cfg: string): DaemonProcess {
  return runCli(['--config', cfg]);
}

const spansOf = (req: any): any[] => req.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
const warnings = (d: DaemonProcess, text: string) => d.lines.filter((l) => l.level === 40 && String(l.msg).includes(text));

describe('a pipeline without the timestamp processor', () => {
  it('sends recorded times exactly as recorded (proto and JSON), and places a template whose times are relative at now', async () => {
    const ep = await FakeHttpEndpoint.start();
    endpoints.push(ep);
    const dir = tempDir();
    const traces = writeTemplate(dir, 'traces', tracesRequest({ traces: 2, spansPerTrace: 3, absolute: true }));
    const logs = writeTemplate(dir, 'logs', logsRequest({ records: 4 }));
    const cfg = writeConfig(dir, `
receivers:
  template/recorded: { traces: ${traces}, loops: 1 }
  template/relative: { logs: ${logs}, loops: 1 }
exporters:
  otlp_http/proto: { endpoint: ${ep.url} }
  otlp_http/json: { endpoint: ${ep.url}, encoding: json }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/recorded], exporters: [otlp_http/proto, otlp_http/json] }
    logs: { receivers: [template/relative], exporters: [otlp_http/proto], workers: 2 }
`);
    const d = run(cfg);
    expect(await d.exited, d.stderr()).toBe(0);
    const want = [0, 1].flatMap((t) => [0, 1, 2].map((s) => String(ABSOLUTE_BASE + BigInt(t) * 1_000_000_000n + spanTimes(t, s).start)));
    const proto = ep.received.find((r) => r.path === '/v1/traces' && r.headers['content-type'] === 'application/x-protobuf')!;
    const decoded = requestType('traces').toObject(requestType('traces').decode(proto.body), { longs: String });
    expect(spansOf(decoded).map((s) => s.startTimeUnixNano)).toEqual(want);
    const json = JSON.parse(ep.received.find((r) => r.headers['content-type'] === 'application/json')!.body.toString());
    expect(spansOf(json).map((s) => s.startTimeUnixNano)).toEqual(want);
    expect(spansOf(json)[0].events[0].timeUnixNano).toBe(String(ABSOLUTE_BASE + spanTimes(0, 0).event));

    // Relative times without timestamp are placed at now (never near 1970), and the run says so once.
    const placed = d.lines.filter((l) => String(l.msg).startsWith('holds relative times'));
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({ pipeline: 'logs', template: logs, level: 30 });
    const logsReq = requestType('logs').decode(ep.received.find((r) => r.path === '/v1/logs')!.body) as any;
    const t = BigInt(logsReq.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano.toString());
    expect(Number(t / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('a template with flawed spans', () => {
  it('replays two concatenated recordings as distinct traces and repairs spans ending before they start, warning with counts', async () => {
    const s = await startSink({ http: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const one = tracesRequest({ traces: 3, spansPerTrace: 4, absolute: true });
    const spans = spansOf(one);
    spans[1].endTimeUnixNano = String(ABSOLUTE_BASE - 5n); // ends before it starts
    delete spans[6].endTimeUnixNano; // no end time, starts after its trace
    const file = join(dir, 'twice.pb');
    // Two recordings of the same traces, concatenated: protobuf merges them into one request.
    writeFileSync(file, Buffer.concat([encodeTemplate('traces', one), encodeTemplate('traces', one)]));
    const cfg = writeConfig(dir, `
receivers:
  template/twice: { traces: ${file}, loops: 2 }
processors:
  id_regen: {}
  timestamp: {}
exporters:
  otlp_http: { endpoint: http://${s.httpAddress} }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/twice], processors: [id_regen, timestamp], exporters: [otlp_http] }
`);
    const d = run(cfg);
    expect(await d.exited, d.stderr()).toBe(0);
    expect(Number(summaries(d.lines).get('traces')!.sent_spans)).toBe(2 * 24);
    const v = (await s.verification())!;
    expect(v.checked.traces).toBe(48);
    expect(v.problems, JSON.stringify(v.examples).slice(0, 1000)).toEqual({});

    const repeated = warnings(d, 'repeat a span id');
    expect(repeated).toHaveLength(1);
    expect(repeated[0]!.msg).toMatch(/^12 spans repeat a span id already used in their trace .* first: span "op-0" at resourceSpans\[1\]\.scopeSpans\[0\]\.spans\[0\] \(byte \d+\)$/);
    const repaired = warnings(d, 'ended before');
    expect(repaired).toHaveLength(1);
    expect(repaired[0]!.msg).toMatch(/^4 spans ended before they started .* replayed with end = start \(duration 0\); first: span "op-1" at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\] \(byte \d+\)$/);
    expect(repaired[0]!.template).toBe(file);
  });
});
