import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeHttpEndpoint } from '../exporters/fake-endpoint.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, tracesConfig, writeConfig, type DaemonProcess, type LogLine } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const sink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

function daemon(args: string[]): DaemonProcess {
  return runCli(args);
}

const timeOf = (lines: LogLine[], msg: string): number => Number(lines.find((l) => l.msg === msg)!.time);

describe('the numbers a run reports', () => {
  it('reports rate = sent / sending time when the pipeline starts between stats ticks', async () => {
    const s = await sink({ grpc: '127.0.0.1:0' });
    // Stats every 50 ms: several ticks fall while the worker loads its template.
    const yaml = tracesConfig({ exporter: `otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }`, rate: 20000, duration: '3s' })
      .replace('stats_interval: 1s', 'stats_interval: 50ms');
    const d = daemon(['--config', writeConfig(tempDir(), yaml)]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines).get('traces')!;
    const sent = Number(sum.sent_spans);
    const durationMs = Number(sum.duration_s) * 1000;
    // Sending starts when the pipeline is ready and ends after the drain; loading does not count.
    const ready = timeOf(d.lines, 'pipeline started');
    expect(durationMs).toBeGreaterThanOrEqual(timeOf(d.lines, 'stopping') - ready - 100);
    expect(durationMs).toBeLessThanOrEqual(Number(sum.time) - ready + 100);
    // duration_s is rounded to the ms.
    expect(Math.abs(Number(sum.rate) - sent / (durationMs / 1000))).toBeLessThan(Number(sum.rate) * 1e-3);
    expect(Number(sum.rate)).toBeGreaterThan(20000 * 0.97);
    expect(Number(sum.rate)).toBeLessThan(20000 * 1.03);
    expect(s.counts().traces.events).toBe(sent);
  });

  it('counts sent_bytes on the wire after gzip and the bytes before it as sent_uncompressed_bytes', async () => {
    const overGrpc = await sink({ grpc: '127.0.0.1:0' });
    const overHttp = await sink({ http: '127.0.0.1:0' });
    const d = daemon(['--config', writeConfig(tempDir(), `
receivers:
  template/demo: { traces: ${DEMO.traces}, loops: 2 }
processors:
  batch_splitter: { max_items: 500 }
exporters:
  otlp_grpc: { endpoint: ${overGrpc.grpcAddress}, tls: { insecure: true }, compression: gzip }
  otlp_http: { endpoint: http://${overHttp.httpAddress}, compression: gzip }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces/grpc: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_grpc] }
    traces/http: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_http] }
`)]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines);
    const grpc = sum.get('traces/grpc')!;
    const http = sum.get('traces/http')!;
    // The HTTP sink counts bodies as they arrived (gzipped); the gRPC sink counts messages after decompression.
    expect(Number(http.sent_bytes)).toBe(overHttp.counts().traces.bytes);
    expect(Number(grpc.sent_uncompressed_bytes)).toBe(overGrpc.counts().traces.bytes);
    for (const p of [grpc, http]) {
      expect(Number(p.sent_bytes)).toBeGreaterThan(0);
      expect(Number(p.sent_bytes)).toBeLessThan(Number(p.sent_uncompressed_bytes) / 2);
      // mb_per_s is over the wire bytes (duration_s is rounded to the ms, so allow 1 %).
      const wireMbPerS = Number(p.sent_bytes) / 1e6 / Number(p.duration_s);
      expect(Math.abs(Number(p.mb_per_s) - wireMbPerS)).toBeLessThan(wireMbPerS * 0.01);
    }
    expect(Number(grpc.sent_uncompressed_bytes)).toBe(Number(http.sent_uncompressed_bytes));
  });

  it('counts requests whose 200 response cannot be decoded as sent and as unparsed_responses, with a warning', async () => {
    const ep = await FakeHttpEndpoint.start();
    try {
      ep.script(...Array.from({ length: 100 }, () => ({ body: '<html>sign in</html>', contentType: 'text/html' })));
      const d = daemon(['--config', writeConfig(tempDir(), `
receivers:
  template/demo: { traces: ${DEMO.traces}, loops: 1 }
processors:
  batch_splitter: { max_items: 500 }
exporters:
  otlp_http: { endpoint: ${ep.url} }
service:
  telemetry: { stats_interval: 50ms, metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [batch_splitter], exporters: [otlp_http] }
`)]);
      expect(await d.exited, d.stderr()).toBe(0);
      const sum = summaries(d.lines).get('traces')!;
      expect(Number(sum.sent_requests)).toBe(ep.received.length);
      expect(Number(sum.unparsed_responses)).toBe(ep.received.length);
      expect(Number(sum.failed)).toBe(0);
      expect(d.lines.filter((l) => l.msg === 'stats').some((l) => Number(l.unparsed_responses) > 0)).toBe(true);
      const warn = d.lines.find((l) => String(l.msg).includes('could not be decoded'));
      expect(warn, JSON.stringify(d.lines.slice(-5))).toMatchObject({ level: 40, exporter: 'otlp_http' });
    } finally {
      await ep.close();
    }
  });

  it('shows failures during the drain: retries counted as they happen, the first failure logged at once, an export failed line at the deadline', async () => {
    const port = await freePort();
    const yaml = tracesConfig({
      exporter: `otlp_grpc: { endpoint: 127.0.0.1:${port}, tls: { insecure: true }, retry_on_failure: { initial_interval: 200ms, max_interval: 200ms, max_elapsed_time: 0 } }`,
      rate: 20000,
    }).replace('service:', 'service:\n  shutdown_timeout: 3s');
    const d = daemon(['--config', writeConfig(tempDir(), yaml)]);
    await d.waitFor((l) => l.msg === 'pipeline started');
    // The first failed attempt is logged at once, not when the request finally ends.
    const first = await d.waitFor((l) => l.msg === 'export attempt failed; retrying', 5000);
    expect(first).toMatchObject({ level: 40, code: 'UNAVAILABLE', exporter: 'otlp_grpc' });
    d.child.kill('SIGTERM');
    // Requests cancelled at the drain deadline failed: the run says so and exits 1.
    expect(await d.exited, d.stderr()).toBe(1);
    expect(d.lines.find((l) => / failed permanently \(otlp_grpc: \d+, last ERR_EXPORT_ABORTED\)/.test(l.msg)), JSON.stringify(d.lines.slice(-3))).toBeDefined();
    const stopping = timeOf(d.lines, 'stopping');
    // Stats taken while nothing had settled yet already show the retries in progress.
    const draining = d.lines.filter((l) => l.msg === 'stats' && Number(l.time) > stopping + 1500 && Number(l.time) < stopping + 2900);
    expect(draining.length, JSON.stringify(d.lines.filter((l) => l.msg === 'stats'))).toBeGreaterThan(0);
    for (const l of draining) {
      expect(Number(l.in_flight)).toBeGreaterThan(0);
      expect(Number(l.retries)).toBeGreaterThan(0);
      expect(Number(l.failed)).toBe(0);
    }
    const failed = d.lines.find((l) => l.msg === 'export failed: still in flight at the drain deadline (service.shutdown_timeout)');
    expect(failed, JSON.stringify(d.lines.slice(-6))).toMatchObject({ level: 40, code: 'ERR_EXPORT_ABORTED' });
    expect(String(failed!.reason)).toMatch(/last error UNAVAILABLE/);
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.sent_spans)).toBe(0);
    expect(Number(sum.failed)).toBeGreaterThan(0);
    expect(Number(sum.dropped)).toBe(0);
    expect(Number(sum.retries)).toBeGreaterThanOrEqual(Number(draining.at(-1)!.retries));
  });

  // Retried: on a loaded machine the sink's stall detection (LoopWatch) can still count a
  // few calls whose client had given up (seen once in about ten runs); a fix is open.
  it('the sink counts exactly what was sent after it stalls past the exporters\' timeout', { retry: 2 }, async () => {
    const dir = tempDir();
    const report = `${dir}/sink-report.json`;
    const sinkProcess = daemon(['sink', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--verify', '--report', report, '--interval', '1s']);
    const listening = await sinkProcess.waitFor((l) => l.msg === 'sink listening');
    const retry = 'timeout: 1s, retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0 }';
    const d = daemon(['--config', writeConfig(dir, `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 500 }
  ratelimit: { events_per_second: 10000 }
exporters:
  otlp_grpc: { endpoint: ${String(listening.grpc)}, tls: { insecure: true }, ${retry} }
  otlp_http: { endpoint: http://${String(listening.http)}, ${retry} }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces/grpc: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit], exporters: [otlp_grpc] }
    traces/http: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit], exporters: [otlp_http] }
`)]);
    await d.waitFor((l) => l.msg === 'pipeline started' && l.pipeline === 'traces/http');
    await new Promise((r) => setTimeout(r, 1000));
    // The daemon pauses first, so the sink stops with nothing half answered: an answer that
    // a stop holds back after the sink counted it is a loss no receiver can tell from success.
    d.child.kill('SIGSTOP');
    // Long enough for the sink to send every answer it owes even on a loaded machine.
    await new Promise((r) => setTimeout(r, 1000));
    // The sink stops (as a blocked or paused process would) for 2.5 timeouts; requests pile up in its socket buffers.
    sinkProcess.child.kill('SIGSTOP');
    d.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2500));
    sinkProcess.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2000));
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    sinkProcess.child.kill('SIGTERM');
    expect(await sinkProcess.exited, sinkProcess.stderr()).toBe(0);
    const sum = summaries(d.lines);
    const sent = Number(sum.get('traces/grpc')!.sent_spans) + Number(sum.get('traces/http')!.sent_spans);
    const r = JSON.parse(readFileSync(report, 'utf8')) as { total: { events: number; late_requests: number }; verification: { problems: Record<string, number> } };
    expect(Number(sum.get('traces/grpc')!.retries) + Number(sum.get('traces/http')!.retries)).toBeGreaterThan(0);
    expect(r.verification.problems.duplicate_span_id ?? 0).toBe(0);
    expect(r.total.events).toBe(sent);
    expect(r.total.late_requests).toBeGreaterThan(0);
    expect(sinkProcess.lines.find((l) => l.msg.startsWith('requests answered after their client had given up'))).toMatchObject({ late_requests: r.total.late_requests });
  });
});
