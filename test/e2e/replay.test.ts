import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, DEMO, summaries, tempDir, tracesConfig, writeConfig } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { freePort } from '../helpers/net.js';

const { traces: T, metrics: M, logs: L } = DEMO;

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

describe('otel-replayd → sink, as a child process', () => {
  it('replays all three signals over gRPC, HTTP/proto, HTTP/json and gzip; the sink counts exactly what the daemon sent', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const cfg = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, metrics: ${M}, logs: ${L}, loops: 3 }
processors:
  id_regen: {}
  # metrics_interval: a metrics cycle waits for it (default 10s), three would outlast the test
  timestamp: { backdate: 2s, metrics_interval: 100ms }
  jitter: { max: 20ms }
  batch_splitter: { max_items: 700, max_bytes: 1MiB }
exporters:
  otlp_grpc/plain: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }
  otlp_grpc/gzip: { endpoint: ${s.grpcAddress}, tls: { insecure: true }, compression: gzip }
  otlp_http/proto: { endpoint: http://${s.httpAddress} }
  otlp_http/json: { endpoint: http://${s.httpAddress}, encoding: json, compression: gzip }
service:
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
    traces/grpc: { receivers: [template/demo], processors: [id_regen, timestamp, jitter, batch_splitter], exporters: [otlp_grpc/plain] }
    traces/json: { receivers: [template/demo], processors: [id_regen, timestamp, jitter, batch_splitter], exporters: [otlp_http/json] }
    metrics/http: { receivers: [template/demo], processors: [timestamp, batch_splitter], exporters: [otlp_http/proto] }
    logs/gzip: { receivers: [template/demo], processors: [id_regen, timestamp, jitter, batch_splitter], exporters: [otlp_grpc/gzip], workers: 2 }
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines);
    const counts = s.counts();
    const sentSpans = Number(sum.get('traces/grpc')!.sent_spans) + Number(sum.get('traces/json')!.sent_spans);
    expect(sentSpans).toBeGreaterThan(0);
    expect(counts.traces.events).toBe(sentSpans);
    expect(counts.metrics.events).toBe(Number(sum.get('metrics/http')!.sent_points));
    expect(counts.logs.events).toBe(Number(sum.get('logs/gzip')!.sent_logs));
    // Every pipeline replayed its template exactly `loops` times per worker.
    const started = new Map(d.lines.filter((l) => l.msg === 'pipeline started').map((l) => [String(l.pipeline), Number(l.events)]));
    expect(Number(sum.get('traces/grpc')!.sent_spans)).toBe(3 * started.get('traces/grpc')!);
    expect(Number(sum.get('logs/gzip')!.sent_logs)).toBe(2 * 3 * started.get('logs/gzip')!);
    for (const l of sum.values()) {
      expect(l.failed).toBe(0);
      expect(l.dropped).toBe(0);
    }
    // Fresh, unique, well-linked ids and sane times in everything that arrived.
    const v = (await s.verification())!;
    expect(v.checked.traces).toBe(counts.traces.events);
    expect(v.problems, JSON.stringify(v.examples).slice(0, 2000)).toEqual({});
    expect(v.ok).toBe(true);
  });

  it('holds the configured rate over its own sending window, and the sink receives exactly what it sent', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0' });
    const cfg = writeConfig(tempDir(), tracesConfig({ exporter: `otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }`, rate: 40000, duration: '6s', workers: 2 }));
    const d = runCli(['--config', cfg]);
    expect(await d.exited, d.stderr()).toBe(0);
    // Over the daemon's own window (sent / sending time), not a slice of the test's clock: a
    // stalled machine delays requests, and the bucket's saved tokens make them up later.
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.rate)).toBeGreaterThan(40000 * 0.97);
    expect(Number(sum.rate)).toBeLessThan(40000 * 1.03);
    expect(Number(sum.duration_s)).toBeGreaterThan(4);
    expect(s.counts().traces.events).toBe(Number(sum.sent_spans));
  });

  it('keeps 64 requests in flight without a warning on stderr, and the sink counts what was sent', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0' });
    const dir = tempDir();
    const cfg = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, loops: 2 }
processors:
  batch_splitter: { max_items: 50 }
exporters:
  otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true }, max_in_flight: 64, timeout: 30s }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_grpc] }
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited, d.stderr()).toBe(0);
    // Each request in flight listens for the drain's abort; Node warns past 10 listeners unless told otherwise.
    expect(d.stderr()).not.toContain('MaxListenersExceededWarning');
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.failed)).toBe(0);
    expect(s.counts().traces.events).toBe(Number(sum.sent_spans));
  });
});

describe('the sink extension', () => {
  it('receives inside the daemon and writes its report at exit, counting exactly what was sent', async () => {
    const dir = tempDir();
    const report = join(dir, 'report.json');
    const cfg = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, logs: ${L}, loops: 2 }
processors:
  id_regen: {}
  timestamp: {}
exporters:
  otlp_http: { endpoint: "http://127.0.0.1:\${env:PORT}" }
extensions:
  sink: { http: "127.0.0.1:\${env:PORT}", verify: true, report: report.json }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp], exporters: [otlp_http] }
    logs: { receivers: [template/demo], processors: [id_regen, timestamp], exporters: [otlp_http] }
`);
    const port = await freePort();
    const d = runCli(['--config', cfg], { env: { PORT: String(port) } });
    expect(await d.exited, d.stderr()).toBe(0);
    const sent = Number(summaries(d.lines).get('logs')!.sent_logs);
    const spans = Number(summaries(d.lines).get('traces')!.sent_spans);
    expect(sent).toBeGreaterThan(0);
    const r = JSON.parse(readFileSync(report, 'utf8')) as { total: { events: number }; verification: { ok: boolean } };
    expect(r.total.events).toBe(sent + spans);
    // The logs name spans of the traces pipeline (correlation is checked too).
    expect(r.verification.ok).toBe(true);
    // snake_case keys, in the report and in the summary line, like every other output.
    const line = d.lines.find((l) => l.msg === 'sink extension summary');
    expect(line).toMatchObject({ received: { logs: { events: sent, faulted_requests: 0, invalid_requests: 0 } } });
    for (const text of [readFileSync(report, 'utf8'), JSON.stringify(line)]) expect(text).not.toMatch(/"[a-z]+[A-Z]\w*":/);
  });
});

describe('bad input', () => {
  it('a broken config exits 2 and names every problem with its key path', async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, `
receivers:
  template/x: { traces: ${T}, loopz: 1 }
exporters:
  otlp_grpc/a: { endpoint: 127.0.0.1:1, tls: { insecure: true } }
service:
  pipelines:
    traces/a: { receivers: [template/x], exporters: [otlp_grpc/b] }
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toContain('receivers.template/x.loopz');
    expect(d.stderr()).toContain('service.pipelines.traces/a.exporters[0]');
    expect(d.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a truncated template fails its pipeline with the file and byte offset, exit 2', async () => {
    const dir = tempDir();
    const bytes = readFileSync(T);
    const cut = join(dir, 'cut.pb');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cfg = writeConfig(dir, `
receivers:
  template/cut: { traces: ${cut} }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:1, tls: { insecure: true } }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/cut], exporters: [otlp_grpc] }
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited).toBe(2);
    const err = d.lines.find((l) => typeof l.code === 'string' && String(l.code).startsWith('ERR_TEMPLATE'));
    expect(err, JSON.stringify(d.lines)).toBeDefined();
    expect(err!.msg).toContain('cut.pb');
    expect(err!.msg).toMatch(/byte \d+/);
    expect(JSON.stringify(d.lines)).not.toMatch(/\\n\s+at /);
  });
});
