/**
 * Logs and exemplars name spans that were sent, whatever the worker counts, rates and
 * reloads: checked by a real sink's --verify on everything the daemon sent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { decodeTemplate } from '../../src/receivers/template-data.js';
import { loadTemplate } from '../../src/receivers/template.js';
import type { Sink, VerificationReport } from '../../src/sink/index.js';
import { cliKilledAfterEach, DEMO, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

/** A metrics template whose histogram points carry exemplars naming the first spans of the demo traces. */
async function exemplarMetrics(dir: string): Promise<string> {
  const traces = decodeTemplate('traces', (await loadTemplate(DEMO.traces, 'traces')).bytes!);
  const spans = traces.resourceSpans[0].scopeSpans[0].spans.slice(0, 20);
  const dataPoints = spans.map((s: any, i: number) => ({
    attributes: [{ key: 'i', value: { intValue: i } }], timeUnixNano: 1_000_000, startTimeUnixNano: 0, count: 1, sum: 1, bucketCounts: [1], explicitBounds: [],
    exemplars: [{ traceId: s.traceId, spanId: s.spanId, timeUnixNano: 1_000_000, asDouble: 1 }],
  }));
  const request = requestType('metrics').fromObject({
    resourceMetrics: [{ resource: {}, scopeMetrics: [{ metrics: [{ name: 'latency', histogram: { dataPoints, aggregationTemporality: 2 } }] }] }],
  });
  const file = join(dir, 'metrics.pb');
  writeFileSync(file, requestType('metrics').encode(request).finish());
  return file;
}

function config(s: Sink, opts: { metrics?: string; tracesRate?: number; logsWorkers?: number; traces?: boolean }): string {
  const { tracesRate = 20000, logsWorkers = 3, traces = true } = opts;
  return `
receivers:
  template/demo: { traces: ${DEMO.traces}, logs: ${DEMO.logs}${opts.metrics ? `, metrics: ${opts.metrics}` : ''} }
processors:
  id_regen: {}
  timestamp: {}
  # Each exemplar's series reports every 100 ms, so the test sees hundreds of points quickly.
  timestamp/metrics: { metrics_interval: 100ms }
  batch_splitter: { max_items: 300 }
  ratelimit/traces: { events_per_second: ${tracesRate} }
  ratelimit/logs: { events_per_second: 7000 }
  ratelimit/metrics: { events_per_second: 500 }
exporters:
  otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }
service:
  shutdown_timeout: 10s
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
${traces ? '    traces: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/traces], exporters: [otlp_grpc], workers: 2 }\n' : ''}\
    logs: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/logs], exporters: [otlp_grpc], workers: ${logsWorkers} }
${opts.metrics ? '    metrics: { receivers: [template/demo], processors: [id_regen, timestamp/metrics, ratelimit/metrics], exporters: [otlp_grpc] }\n' : ''}`;
}

async function verified(s: Sink, d: DaemonProcess): Promise<VerificationReport> {
  d.child.kill('SIGTERM');
  expect(await d.exited, d.stderr()).toBe(0);
  await s.close();
  return (await s.verification())!;
}

async function sinkReceived(s: Sink, want: (c: ReturnType<Sink['counts']>) => boolean): Promise<void> {
  while (!want(s.counts())) await new Promise((r) => setTimeout(r, 50));
}

describe('correlation of logs and exemplars with replayed spans', () => {
  it('holds with 2 traces workers, 3 logs workers, different rates per signal, across a SIGHUP reload that restarts both, and after one that removes the traces pipeline', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const metrics = await exemplarMetrics(dir);
    const file = writeConfig(dir, config(s, { metrics }));
    const d = runCli(['--config', file]);
    await sinkReceived(s, (c) => c.logs.events > 10_000 && c.metrics.events > 200);
    // New incarnations with new seeds, another logs worker count and another traces rate.
    writeConfig(dir, config(s, { metrics, tracesRate: 9000, logsWorkers: 2 }));
    const before = d.lines.length;
    d.child.kill('SIGHUP');
    await d.waitFor((l) => l.msg === 'reloaded' && d.lines.indexOf(l) >= before, 30_000);
    const mid = s.counts();
    await sinkReceived(s, (c) => c.logs.events > mid.logs.events + 10_000 && c.metrics.events > mid.metrics.events + 200);
    // The traces pipeline goes; the logs pipeline runs on and keeps naming spans that were sent.
    writeConfig(dir, config(s, { metrics, traces: false, logsWorkers: 2 }));
    const second = d.lines.length;
    d.child.kill('SIGHUP');
    const reloaded = await d.waitFor((l) => l.msg === 'reloaded' && d.lines.indexOf(l) >= second, 30_000);
    expect(reloaded).toMatchObject({ stopped: ['traces'] });
    const late = s.counts();
    await sinkReceived(s, (c) => c.logs.events > late.logs.events + 10_000);
    const v = await verified(s, d);
    expect(v.checked.logs).toBeGreaterThan(30_000);
    expect(v.problems.orphan_log ?? 0).toBe(0);
    expect(v.problems.orphan_exemplar ?? 0).toBe(0);
    expect(v.pendingLinks).toBe(0);
  }, 120_000);

  it('is reported broken by the sink when the logs name spans no traces pipeline sends', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const d = runCli(['--config', writeConfig(dir, config(s, { traces: false, logsWorkers: 1 }))]);
    await sinkReceived(s, (c) => c.logs.events > 5_000);
    const v = await verified(s, d);
    expect(v.problems.orphan_log).toBeGreaterThan(1000);
    expect(v.examples.orphan_log?.[0]?.message).toMatch(/which did not arrive within 5s/);
    expect(v.ok).toBe(false);
  }, 120_000);
});
