import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, DEMO, summaries, tempDir, tracesConfig, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';

const runCli = cliKilledAfterEach();

function cli(args: string[]): DaemonProcess {
  const p = runCli(args);
  return p;
}

function config(endpoint: string, extra = ''): string {
  return `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 1000 }
  ratelimit: { events_per_second: 1000 }
exporters:
  otlp_grpc: { endpoint: ${endpoint}, tls: { insecure: true } }
service:
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  # From 40k the search still ramps (40k held, 80k fails) and then narrows; lower starts add only held steps.
  capacity: { start_rate: 40000, warmup: 1s, window: 3s }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit], exporters: [otlp_grpc] }
${extra}`;
}

interface Step { target_events_per_second: number; sent_events_per_second: number; latency_p50_ms: number | null; latency_p99_ms: number | null; held: boolean; reasons: string[] }

describe('otel-replayd capacity', () => {
  it('finds the limit of a sink that takes at most 50k spans/s within 45k–55k, printing one JSON object with the evidence', async () => {
    const sink = cli(['sink', '--grpc', '127.0.0.1:0', '--max-rate', '50000', '--interval', '1s']);
    const grpc = String((await sink.waitFor((l) => l.msg === 'sink listening')).grpc);
    const c = cli(['capacity', '--config', writeConfig(tempDir(), config(grpc)), '--json']);
    expect(await c.exited, c.stderr().slice(-3000)).toBe(0);
    // Logs go to stderr: stdout is the result and nothing else.
    expect(c.lines).toHaveLength(1);
    const r = c.lines[0] as unknown as { max_sustained_events_per_second: number; unit: string; stopped_because: string; steps: Step[] };
    expect(r.max_sustained_events_per_second).toBeGreaterThanOrEqual(45_000);
    expect(r.max_sustained_events_per_second).toBeLessThanOrEqual(55_000);
    expect(r.unit).toBe('spans');
    expect(r.stopped_because).toMatch(/within 5 %/);
    const best = r.steps.find((s) => s.held && s.target_events_per_second === r.max_sustained_events_per_second)!;
    expect(best.sent_events_per_second).toBeGreaterThan(0.95 * best.target_events_per_second);
    expect(best.latency_p50_ms).toBeGreaterThan(0);
    expect(best.latency_p99_ms).toBeGreaterThanOrEqual(best.latency_p50_ms!);
    // Above the limit the sink refuses what is over and the daemon retries: those steps fail, saying why.
    const over = r.steps.filter((s) => s.target_events_per_second > 55_000);
    expect(over.length).toBeGreaterThan(0);
    for (const s of over) {
      expect(s.held).toBe(false);
      expect(s.sent_events_per_second).toBeLessThan(56_000);
      expect(s.reasons.join('; ')).toMatch(/failed requests and retries/);
    }
    expect(c.stderr()).toContain('"msg":"capacity step"');
    sink.child.kill('SIGTERM');
    expect(await sink.exited).toBe(0);
    const summary = sink.lines.find((l) => l.msg === 'sink summary') as { total?: { throttled_requests: number } } | undefined;
    expect(summary?.total?.throttled_requests).toBeGreaterThan(0);
  }, 150_000);

  it('the sink extension takes max_rate too: above it the daemon is refused, retries, and still delivers everything once', async () => {
    const port = await freePort();
    const yaml = `${tracesConfig({ exporter: `otlp_grpc: { endpoint: 127.0.0.1:${port}, tls: { insecure: true } }`, rate: 8000, duration: '3s' })}
extensions:
  sink: { grpc: 127.0.0.1:${port}, max_rate: 4000 }
`;
    const d = cli(['--config', writeConfig(tempDir(), yaml)]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sent = Number(summaries(d.lines).get('traces')!.sent_spans);
    const received = d.lines.find((l) => l.msg === 'sink extension summary')!.received as { traces: { events: number; throttled_requests: number } };
    expect(Number(summaries(d.lines).get('traces')!.retries)).toBeGreaterThan(0);
    expect(received.traces.throttled_requests).toBeGreaterThan(0);
    expect(received.traces.events).toBe(sent);
  });

  it('needs --pipeline when the config has several, and a ratelimit to set the rate with (exit 2)', async () => {
    const dir = tempDir();
    const two = writeConfig(dir, config('127.0.0.1:1', '    logs: { receivers: [template/demo], processors: [ratelimit], exporters: [otlp_grpc] }')
      .replace(`traces: ${DEMO.traces} }`, `traces: ${DEMO.traces}, logs: ${DEMO.logs} }`), 'two.yaml');
    let c = cli(['capacity', '--config', two]);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toContain('service.pipelines: capacity drives one pipeline: name it with --pipeline (traces, logs)');
    c = cli(['capacity', '--config', two, '--pipeline', 'metrics']);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toContain('no pipeline "metrics"; the config has traces, logs');
    const unpaced = writeConfig(dir, config('127.0.0.1:1').replace('batch_splitter, ratelimit]', 'batch_splitter]'), 'unpaced.yaml');
    c = cli(['capacity', '--config', unpaced]);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toContain('service.pipelines.traces.processors: capacity search needs a processor that paces (ratelimit) to set the rate with');
    expect(c.lines).toEqual([]);
  });
});
