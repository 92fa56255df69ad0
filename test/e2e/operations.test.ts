import { describe, expect, it } from 'vitest';
import { rssMb } from '../../bench/child-process.js';
import { createTestCerts } from '../helpers/certs.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, tracesConfig, writeConfig } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { freePort } from '../helpers/net.js';

const T = DEMO.traces;
const FAST_RETRY = 'retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 60s }';

const sink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

describe('endpoint faults', () => {
  it('starts with the endpoint down, retries, and delivers everything once it comes up', async () => {
    const port = await freePort();
    const dir = tempDir();
    const file = writeConfig(dir, tracesConfig({ exporter: `otlp_grpc: { endpoint: 127.0.0.1:${port}, tls: { insecure: true }, ${FAST_RETRY} }`, rate: 20000 }));
    const d = runCli(['--config', file]);
    await d.waitFor((l) => l.msg === 'pipeline started');
    await new Promise((r) => setTimeout(r, 1500));
    const s = await sink({ grpc: `127.0.0.1:${port}` });
    // Delivery resumes once a retry reaches the sink: polled, not a fixed wait.
    await expect.poll(() => s.counts().traces.events, { timeout: 15_000, interval: 100 }).toBeGreaterThan(0);
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.retries)).toBeGreaterThan(0);
    expect(Number(sum.failed)).toBe(0);
    expect(s.counts().traces.events).toBe(Number(sum.sent_spans));
  });

  it('survives the endpoint going down mid-run without growing memory, and resumes when it returns', async () => {
    const port = await freePort();
    const first = await sink({ grpc: `127.0.0.1:${port}` });
    const dir = tempDir();
    const file = writeConfig(dir, tracesConfig({ exporter: `otlp_grpc: { endpoint: 127.0.0.1:${port}, tls: { insecure: true }, ${FAST_RETRY} }`, rate: 20000 }));
    const d = runCli(['--config', file]);
    await d.waitFor((l) => l.msg === 'pipeline started');
    await new Promise((r) => setTimeout(r, 1000));
    await first.close();
    const before = first.counts().traces.events;
    expect(before).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const rssEarly = rssMb(d.child.pid!).rss;
    await new Promise((r) => setTimeout(r, 2000));
    const rssLate = rssMb(d.child.pid!).rss;
    // Requests wait in their slots while the endpoint is away: nothing queues up.
    expect(rssLate - rssEarly).toBeLessThan(40);
    const second = await sink({ grpc: `127.0.0.1:${port}` });
    await new Promise((r) => setTimeout(r, 2500));
    const resumed = second.counts().traces.events;
    expect(resumed).toBeGreaterThan(20000); // back at the 20k/s rate for most of 2.5 s
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.failed)).toBe(0);
    expect(first.counts().traces.events + second.counts().traces.events).toBe(Number(sum.sent_spans));
  });

  it('retries injected UNAVAILABLE and HTTP 503 failures; the sink still counts exactly what was sent', async () => {
    const s = await sink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', faults: { failRate: 0.3, failCode: 'unavailable', seed: 7 } });
    const dir = tempDir();
    const file = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, loops: 4 }
processors:
  batch_splitter: { max_items: 300 }
exporters:
  otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true }, ${FAST_RETRY} }
  otlp_http: { endpoint: http://${s.httpAddress}, ${FAST_RETRY} }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces/grpc: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_grpc] }
    traces/http: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_http] }
`);
    const d = runCli(['--config', file]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines);
    const sent = Number(sum.get('traces/grpc')!.sent_spans) + Number(sum.get('traces/http')!.sent_spans);
    const started = Number(d.lines.find((l) => l.msg === 'pipeline started')!.events);
    expect(sent).toBe(2 * 4 * started);
    expect(s.counts().traces.events).toBe(sent);
    expect(s.counts().traces.faultedRequests).toBeGreaterThan(0);
    expect(Number(sum.get('traces/grpc')!.retries) + Number(sum.get('traces/http')!.retries)).toBe(s.counts().traces.faultedRequests);
  });

  it('counts a permanent INVALID_ARGUMENT as failed, not sent, and does not retry it', async () => {
    const s = await sink({ grpc: '127.0.0.1:0', faults: { failRate: 1, failCode: 'invalid_argument' } });
    const dir = tempDir();
    const file = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, loops: 1 }
exporters:
  otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], exporters: [otlp_grpc] }
`);
    const d = runCli(['--config', file]);
    // Permanent failures make the run fail (exit 1), for CI.
    expect(await d.exited, d.stderr()).toBe(1);
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.sent_spans)).toBe(0);
    expect(Number(sum.failed)).toBeGreaterThan(0);
    expect(Number(sum.retries)).toBe(0);
    const warn = d.lines.find((l) => l.code === 'INVALID_ARGUMENT');
    expect(warn, JSON.stringify(d.lines.slice(-6))).toBeDefined();
  });
});

describe('TLS to the endpoint', () => {
  it('sends over TLS and mTLS to the sink with certificates made for the test', async () => {
    const certs = createTestCerts();
    try {
      const s = await sink({
        grpc: '127.0.0.1:0',
        http: '127.0.0.1:0',
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile },
      });
      const tls = `tls: { ca_file: ${certs.caFile}, cert_file: ${certs.clientCertFile}, key_file: ${certs.clientKeyFile} }`;
      const dir = tempDir();
      const file = writeConfig(dir, `
receivers:
  template/demo: { traces: ${T}, loops: 2 }
exporters:
  otlp_grpc: { endpoint: localhost:${s.grpcAddress!.split(':')[1]}, ${tls} }
  otlp_http: { endpoint: https://localhost:${s.httpAddress!.split(':')[1]}, ${tls} }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces/grpc: { receivers: [template/demo], exporters: [otlp_grpc] }
    traces/http: { receivers: [template/demo], exporters: [otlp_http] }
`);
      const d = runCli(['--config', file]);
      expect(await d.exited, d.stderr()).toBe(0);
      const sum = summaries(d.lines);
      expect(Number(sum.get('traces/grpc')!.failed)).toBe(0);
      expect(Number(sum.get('traces/http')!.failed)).toBe(0);
      expect(s.counts().traces.events).toBe(Number(sum.get('traces/grpc')!.sent_spans) + Number(sum.get('traces/http')!.sent_spans));
      expect(s.counts().traces.events).toBeGreaterThan(0);
    } finally {
      certs.cleanup();
    }
  });
});

describe('operations', () => {
  it('serves /metrics and /healthz while running, and replays from a generator receiver', async () => {
    const s = await sink({ http: '127.0.0.1:0' });
    const dir = tempDir();
    const file = writeConfig(dir, `
receivers:
  generator/synth:
    seed: 3
    pool: 200
    refresh: 2
    traces: { count: 200, spans: { avg_per_trace: 10, std_dev: 3 }, services: { count: 5 } }
processors:
  id_regen: {}
  timestamp: {}
  ratelimit: { events_per_second: 20000 }
exporters:
  otlp_http: { endpoint: http://${s.httpAddress} }
service:
  telemetry: { stats_interval: 1s, metrics: { address: 127.0.0.1:0 } }
  pipelines:
    traces: { receivers: [generator/synth], processors: [id_regen, timestamp, ratelimit], exporters: [otlp_http] }
`);
    const d = runCli(['--config', file]);
    const listening = await d.waitFor((l) => l.msg === 'metrics and health endpoint listening');
    await d.waitFor((l) => l.msg === 'pipeline started');
    const base = `http://${String(listening.address)}`;
    // Workers report about once a second: polled until /metrics counts what was sent, not a fixed wait.
    const sent = async (): Promise<number> => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      return Number(/otel_replayd_sent_events_total\{[^}]*pipeline="traces"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    await expect.poll(sent, { timeout: 15_000, interval: 200 }).toBeGreaterThan(0);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    expect(s.counts().traces.events).toBe(Number(summaries(d.lines).get('traces')!.sent_spans));
  });
});
