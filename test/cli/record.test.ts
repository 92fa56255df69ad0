import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { context, trace, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { requestType } from '../../src/otlp/proto.js';
import { packageRoot } from '../../src/package-root.js';
import { recordRanges } from '../../src/otlp/wire/records.js';
import { startRecorder } from '../../src/recorder/recorder.js';
import { CLI, cliKilledAfterEach, DEMO, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { encode, grpcClient, grpcExport, tracesRequest } from '../sink/fixtures.js';

const startSink = sinksClosedAfterEach();
const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = tempDir('replayd-record-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const runCli = cliKilledAfterEach();

function cli(args: string[]): DaemonProcess {
  return runCli(args);
}

const SECRETS = ['Bearer sk-live-0123456789', 'jane.doe@example.com', '4111-1111-1111-1111'];
const TRACES = 1000;
const SPANS_PER_TRACE = 10;
/** Spans in the bundled demo traces template. */
const DEMO_SPANS = 3501;

/** Span `i` of trace `t`: its name and its duration in ns, all different so a mix-up shows. */
function spanPlan(t: number, i: number): { name: string; offsetNs: number; durationNs: number } {
  return { name: `op-${t}-${i}`, offsetNs: i * 1_000_000 + 123, durationNs: 50_000 + t * 1_000 + i * 7 + 1 };
}

function hr(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/** Sends TRACES traces of SPANS_PER_TRACE spans through the official SDK's gRPC exporter. */
async function sendWithSdk(address: string): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `http://${address}` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 20_000, maxExportBatchSize: 512, scheduledDelayMillis: 50 })],
  });
  const tracer = provider.getTracer('record-test');
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  for (let t = 0; t < TRACES; t++) {
    const traceStart = base + BigInt(t) * 10_000_000n;
    const root = spanPlan(t, 0);
    const rootSpan = tracer.startSpan(root.name, {
      startTime: hr(traceStart + BigInt(root.offsetNs)),
      attributes: { 'http.request.header.authorization': SECRETS[0], 'enduser.email': SECRETS[1], 'customer.card': SECRETS[2], 'http.route': '/cart' },
    });
    const ctx = trace.setSpan(context.active(), rootSpan);
    for (let i = 1; i < SPANS_PER_TRACE; i++) {
      const p = spanPlan(t, i);
      const start = traceStart + BigInt(p.offsetNs);
      tracer.startSpan(p.name, { startTime: hr(start) }, ctx).end(hr(start + BigInt(p.durationNs)));
    }
    rootSpan.end(hr(traceStart + BigInt(root.offsetNs + root.durationNs)));
  }
  await provider.forceFlush();
  await provider.shutdown();
}

/** Every span's duration (ns) by name, from a recording's traces file. */
function durations(file: string): Map<string, bigint> {
  const bytes = gunzipSync(readFileSync(file));
  const out = new Map<string, bigint>();
  for (const [s, e] of recordRanges(bytes)) {
    const req = requestType('traces').decode(bytes.subarray(s, e)) as any;
    for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) {
      out.set(span.name, BigInt(String(span.endTimeUnixNano)) - BigInt(String(span.startTimeUnixNano)));
    }
  }
  return out;
}

describe('otel-replayd record', () => {
  it('records 10,000 spans from the OpenTelemetry SDK; inspect reports exactly them; a replay delivers them with their durations and no orphan', { timeout: 120_000 }, async () => {
    const out = join(dir, 'sdk');
    const rec = cli(['record', '--grpc', '127.0.0.1:0', '--out', out, '--redact', 'customer\\.card']);
    const listening = await rec.waitFor((l) => l.msg === 'recorder listening');
    await sendWithSdk(String(listening.grpc));
    rec.child.kill('SIGTERM');
    expect(await rec.exited).toBe(0);
    const written = rec.lines.find((l) => l.msg === 'recording written')!;
    expect(written).toMatchObject({ stoppedBy: 'SIGTERM', refusedRequests: 0, blankedValues: 3 * TRACES, signals: { traces: { events: TRACES * SPANS_PER_TRACE } } });

    // Redacted values never reach disk, compressed or not.
    const file = join(out, 'traces.pb.gz');
    const contents = [readFileSync(file), gunzipSync(readFileSync(file)), readFileSync(join(out, 'recording.yaml'))];
    for (const secret of SECRETS) for (const c of contents) expect(c.includes(secret), secret).toBe(false);
    expect(gunzipSync(readFileSync(file)).includes('/cart')).toBe(true);

    const { stdout } = await run(process.execPath, [CLI, 'inspect', '--json', file]);
    const [report] = JSON.parse(stdout);
    expect(report).toMatchObject({
      signal: 'traces', format: 'records', gzip: true, events: TRACES * SPANS_PER_TRACE, services: [{ name: 'checkout', events: TRACES * SPANS_PER_TRACE }],
      figures: { traces: TRACES, rootSpans: TRACES, spansPerTrace: { p50: SPANS_PER_TRACE, p99: SPANS_PER_TRACE, max: SPANS_PER_TRACE } },
      problems: { orphanParents: 0, duplicateSpanIds: 0, endBeforeStart: 0, badIds: 0 },
    });
    expect(report.requests).toBe(parse(readFileSync(join(out, 'recording.yaml'), 'utf8')).signals.traces.requests);
    const recorded = durations(file);
    for (let t = 0; t < TRACES; t += 97) for (let i = 0; i < SPANS_PER_TRACE; i++) expect(recorded.get(spanPlan(t, i).name)).toBe(BigInt(spanPlan(t, i).durationNs));

    // The README's example config replays it.
    const example = loadConfig(join(packageRoot(), 'config', 'record-replay.yaml'), { RECORDING: out, RATE: '85000' });
    expect(example.receivers['template/recording']).toMatchObject({ traces: file, loops: 0 });

    // Replay once, with fresh ids and times, to a verifying sink and (for durations) a second recorder.
    const sink = await startSink({ grpc: '127.0.0.1:0', verify: true });
    const again = await startRecorder({ grpc: '127.0.0.1:0', out: join(dir, 'replayed'), durationMs: 0, maxSize: Infinity, redact: [], signals: ['traces'], tool: 'test' });
    const cfg = writeConfig(dir, `
receivers:
  template/recording: { traces: ${file}, loops: 1 }
processors:
  id_regen: {}
  timestamp: {}
exporters:
  otlp_grpc/sink: { endpoint: ${sink.grpcAddress}, tls: { insecure: true } }
  otlp_grpc/again: { endpoint: ${again.grpcAddress}, tls: { insecure: true } }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/recording], processors: [id_regen, timestamp], exporters: [otlp_grpc/sink, otlp_grpc/again] }
`, 'replay.yaml');
    const replay = cli(['--config', cfg]);
    expect(await replay.exited).toBe(0);
    await again.finish();
    const v = (await sink.verification())!;
    expect(sink.counts().traces.events).toBe(TRACES * SPANS_PER_TRACE);
    expect(v.checked.traces).toBe(TRACES * SPANS_PER_TRACE);
    expect(v.problems).toEqual({});
    const replayed = durations(join(dir, 'replayed', 'traces.pb.gz'));
    expect(replayed.size).toBe(TRACES * SPANS_PER_TRACE);
    const differing = [...recorded].filter(([name, d]) => replayed.get(name) !== d);
    expect(differing).toEqual([]);
  });

  it('stopped by SIGTERM while requests pour in, leaves complete files holding exactly the requests it acknowledged', { timeout: 60_000 }, async () => {
    const out = join(dir, 'cut');
    const rec = cli(['record', '--grpc', '127.0.0.1:0', '--out', out]);
    const listening = await rec.waitFor((l) => l.msg === 'recorder listening');
    const client = grpcClient(String(listening.grpc));
    const body = encode('traces', tracesRequest(50, 4));
    let acknowledged = 0;
    let stop = false;
    const senders = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const err = await grpcExport(client, 'traces', body);
        if (err) stop = true;
        else acknowledged++;
      }
    });
    while (acknowledged < 50) await new Promise((r) => setTimeout(r, 10));
    rec.child.kill('SIGTERM');
    await Promise.all(senders);
    client.close();
    expect(await rec.exited).toBe(0);
    const written = rec.lines.find((l) => l.msg === 'recording written') as any;
    expect(written.signals.traces.requests).toBe(acknowledged);
    const bytes = gunzipSync(readFileSync(join(out, 'traces.pb.gz')));
    expect(recordRanges(bytes)).toHaveLength(acknowledged);
    const { stdout } = await run(process.execPath, [CLI, 'inspect', '--json', join(out, 'traces.pb.gz')]);
    expect(JSON.parse(stdout)[0]).toMatchObject({ requests: acknowledged, events: acknowledged * 200 });
  });

  it('runs as the daemon extension beside the sink: a pipeline sending to both is recorded whole', { timeout: 60_000 }, async () => {
    const out = join(dir, 'extension');
    const cfg = writeConfig(dir, `
receivers:
  template/t: { traces: ${DEMO.traces}, loops: 2 }
processors:
  id_regen: {}
  timestamp: {}
exporters:
  otlp_http/recorder: { endpoint: "http://127.0.0.1:\${env:REC_PORT}" }
  otlp_grpc/sink: { endpoint: "127.0.0.1:\${env:SINK_PORT}", tls: { insecure: true } }
extensions:
  sink: { grpc: "127.0.0.1:\${env:SINK_PORT}" }
  recorder: { http: "127.0.0.1:\${env:REC_PORT}", out: ${out}, signals: traces }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/t], processors: [id_regen, timestamp], exporters: [otlp_http/recorder, otlp_grpc/sink] }
`, 'extension.yaml');
    const { freePort } = await import('../helpers/net.js');
    const daemon = runCli(['--config', cfg], { env: { REC_PORT: String(await freePort()), SINK_PORT: String(await freePort()) } });

    expect(await daemon.exited).toBe(0);
    const meta = parse(readFileSync(join(out, 'recording.yaml'), 'utf8'));
    expect(meta.signals.traces.spans).toBe(2 * DEMO_SPANS);
    expect(meta.stopped_by).toBe('stopped');
    expect(daemon.lines.find((l) => l.msg === 'sink extension summary')).toMatchObject({ received: { traces: { events: 2 * DEMO_SPANS } } });
  });

  it('refuses bad flags with exit 2 and says which', async () => {
    const cases: [string[], RegExp][] = [
      [['record', '--out', join(dir, 'x')], /give --grpc HOST:PORT, --http HOST:PORT, or both/],
      [['record', '--grpc', '127.0.0.1:0'], /--out DIR is required/],
      [['record', '--grpc', '127.0.0.1:0', '--out', join(dir, 'x'), '--signals', 'traces,spans'], /--signals takes a list of traces, metrics, logs/],
      [['record', '--grpc', '127.0.0.1:0', '--out', join(dir, 'x'), '--max-size', 'big'], /--max-size must be a size/],
      [['record', '--grpc', '127.0.0.1:0', '--out', join(dir, 'x'), '--redact', '('], /redact pattern "\(" is not a regular expression/],
      [['inspect'], /give at least one FILE/],
      [['inspect', join(dir, 'none.pb')], /none\.pb: no such file/],
    ];
    for (const [args, message] of cases) {
      const err = await run(process.execPath, [CLI, ...args]).then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(err?.code, args.join(' ')).toBe(2);
      expect(err?.stderr).toMatch(message);
    }
  });

  it('inspect prints what a template holds, one block per file', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'inspect', DEMO.traces, DEMO.logs]);
    expect(stdout).toMatch(/demo-traces\.pb: traces \(read in [\d.]+s\)\n  format {7}one protobuf request\n  requests {5}1\n/);
    expect(stdout).toMatch(/  spans {8}3501\n  traces {7}250 \(250 root spans\)\n  spans\/trace  p50 \d+, p99 \d+, max \d+\n/);
    expect(stdout).toMatch(/  time {9}offsets over [\d.]+s \(relative times\)\n  problems {5}none/);
    expect(stdout).toMatch(/demo-logs\.pb: logs .*\n[\s\S]*  logs {9}2000\n  traced {7}\d+ with a trace context/);
  });
});
