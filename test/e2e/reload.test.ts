import { describe, expect, it } from 'vitest';
import { SIGNALS, type Signal } from '../../src/otlp/signals.js';
import type { Sink } from '../../src/sink/index.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig, type LogLine } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const { traces: T, metrics: M, logs: L } = DEMO;

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

function config(s: Sink, pipelines: string, extra = ''): string {
  return `
receivers:
  template/demo: { traces: ${T}, metrics: ${M}, logs: ${L} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 400 }
  ratelimit/slow: { events_per_second: 20000 }
  ratelimit/fast: { events_per_second: 40000 }
exporters:
  otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }
  otlp_http: { endpoint: http://${s.httpAddress} }
${extra}
service:
  shutdown_timeout: 10s
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
${pipelines}`;
}

const P = {
  tracesSlow: '    traces/a: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/slow], exporters: [otlp_grpc] }',
  tracesFast: '    traces/a: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/fast], exporters: [otlp_grpc] }',
  logs: '    logs/b: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/slow], exporters: [otlp_http] }',
  metrics: '    metrics/c: { receivers: [template/demo], processors: [timestamp, batch_splitter, ratelimit/slow], exporters: [otlp_http], workers: 2 }',
};

function sumSent(lines: LogLine[], signal: Signal): number {
  let n = 0;
  for (const l of summaries(lines).values()) {
    if (l.signal === signal) n += Number(l[`sent_${SIGNALS[signal].unit}`]);
  }
  return n;
}

describe('reload and shutdown under load', () => {
  it('survives 20 reloads that add, change and remove pipelines, plus a bad one; nothing lost or counted twice', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const file = writeConfig(dir, config(s, [P.tracesSlow, P.logs].join('\n')));
    const d = runCli(['--config', file]);
    await d.waitFor((l) => l.msg === 'pipeline started' && l.pipeline === 'logs/b');
    const variants = [
      [P.tracesFast, P.logs],
      [P.tracesFast, P.logs, P.metrics],
      [P.tracesSlow, P.metrics],
      [P.tracesSlow, P.logs, P.metrics],
      [P.logs],
    ];
    for (let i = 0; i < 20; i++) {
      const bad = i === 7;
      writeConfig(dir, bad ? config(s, P.logs, '  nonsense: true') : config(s, variants[i % variants.length]!.join('\n')));
      const before = d.lines.length;
      d.child.kill('SIGHUP');
      const msg = bad ? 'reload rejected: keeping the running pipelines' : 'reloaded';
      await d.waitFor((l) => l.msg === msg && d.lines.indexOf(l) >= before, 30_000);
      await new Promise((r) => setTimeout(r, 150));
    }
    // One outcome per SIGHUP, none applied twice.
    expect(d.lines.filter((l) => l.msg === 'reloaded')).toHaveLength(19);
    expect(d.lines.filter((l) => l.msg === 'reload rejected: keeping the running pipelines')).toHaveLength(1);
    // After the bad reload the previous pipelines kept sending.
    const mid = s.counts().logs.events;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.counts().logs.events).toBeGreaterThan(mid);
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    const c = s.counts();
    expect(c.traces.events).toBe(sumSent(d.lines, 'traces'));
    expect(c.logs.events).toBe(sumSent(d.lines, 'logs'));
    expect(c.metrics.events).toBe(sumSent(d.lines, 'metrics'));
    expect(c.traces.events).toBeGreaterThan(0);
    for (const l of summaries(d.lines).values()) {
      expect(l.failed).toBe(0);
      expect(l.dropped).toBe(0);
    }
    const v = (await s.verification())!;
    // On failure, say which span ids came twice: the one failure seen (1 in about 12 full runs) had counts equal to what was sent.
    expect(v.problems.duplicate_span_id ?? 0, JSON.stringify(v.examples.duplicate_span_id)).toBe(0);
  }, 120_000);

  it('SIGTERM drains and exits 0 with a summary; a second signal exits 130 at once', async () => {
    // A slow endpoint keeps requests in flight, so the second signal has something to abandon.
    const s = await startSink({ grpc: '127.0.0.1:0', faults: { delayMs: 3000 } });
    const dir = tempDir();
    const file = writeConfig(dir, config(s, P.tracesFast));
    const d = runCli(['--config', file]);
    await d.waitFor((l) => l.msg === 'pipeline started');
    await new Promise((r) => setTimeout(r, 500));
    d.child.kill('SIGTERM');
    await d.waitFor((l) => String(l.msg).startsWith('draining'));
    d.child.kill('SIGTERM');
    const t0 = Date.now();
    expect(await d.exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2500);
    const sum = summaries(d.lines).get('traces/a')!;
    expect(sum).toBeDefined();
    expect(Number(sum.dropped)).toBeGreaterThan(0);
    expect(Number(sum.sent_spans)).toBe(0);
  }, 30_000);
});
