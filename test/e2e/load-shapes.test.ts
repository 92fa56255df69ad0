import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig, type DaemonProcess, type LogLine } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';

const runCli = cliKilledAfterEach();

function cli(args: string[]): DaemonProcess {
  const p = runCli(args);
  return p;
}

/** The sink CLI in its own process; resolves once it listens, with its HTTP address. */
async function sinkProcess(args: string[]): Promise<{ p: DaemonProcess; http: string }> {
  const p = cli(['sink', '--http', '127.0.0.1:0', ...args]);
  const line = await p.waitFor((l) => l.msg === 'sink listening');
  return { p, http: String(line.http) };
}

/** Events the ramp 0 → 40k/s over 5 s, then 40k/s for 5 s, allows by `t` seconds after its origin. */
function allowed(t: number): number {
  if (t <= 0) return 0;
  if (t <= 5) return 4000 * t * t;
  return 100_000 + 40_000 * (Math.min(t, 10) - 5);
}

describe('ratelimit stages, end to end', () => {
  // Retried: one stalled second on a shared 2-core machine (seen at load ~4, 0.949 of the
  // ramp) fails the per-second bound; the bound itself is kept.
  it('ramps 0 → 40k/s over 5 s and holds 5 s: every second at the sink within 5 % of the ramp, then the pipeline stops by itself', { retry: 2 }, async () => {
    const dir = tempDir();
    const report = join(dir, 'sink.json');
    const sink = await sinkProcess(['--report', report]);
    const metricsPort = await freePort();
    const d = cli(['--config', writeConfig(dir, `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 100 }
  ratelimit: { stages: [ { duration: 5s, target: 40000 }, { duration: 5s, target: 40000 } ] }
exporters:
  # Small requests (100 spans) keep each second's count fine-grained (a worker is at most one
  # request behind the curve), over HTTP (gRPC calls cost more CPU each, which a loaded machine
  # lacks at 400 requests/s), with enough slots that a slow answer never holds the loop back.
  otlp_http: { endpoint: http://${sink.http}, max_in_flight: 16 }
service:
  telemetry: { stats_interval: 1s, metrics: { address: 127.0.0.1:${metricsPort} } }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit], exporters: [otlp_http], workers: 2 }
`)]);
    const start = await d.waitFor((l) => l.msg === 'pipeline sending');
    const origin = Number(start.origin);
    // Mid-ramp, /metrics shows the target the workers hold now and the latency of what they sent.
    await new Promise((r) => setTimeout(r, Math.max(0, origin + 3000 - Date.now())));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const scrapedAt = (Date.now() - origin) / 1000;
    const target = Number(/^otel_replayd_rate_target_events_per_second\{pipeline="traces",signal="traces"\} (\S+)$/m.exec(metrics)?.[1]);
    // Workers report about once a second, so the gauge is up to ~1 s (plus scheduling) behind.
    expect(target).toBeGreaterThan(8000 * (scrapedAt - 2.5));
    expect(target).toBeLessThanOrEqual(8000 * scrapedAt);
    expect(Number(/^otel_replayd_export_latency_seconds_count\{pipeline="traces",exporter="otlp_http",signal="traces"\} (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    expect(await d.exited, d.stderr()).toBe(0);
    expect(d.lines.find((l) => l.msg === 'stopping')?.reason).toBe('all pipelines finished');
    sink.p.child.kill('SIGTERM');
    expect(await sink.p.exited).toBe(0);

    const sent = Number(summaries(d.lines).get('traces')!.sent_spans);
    const r = JSON.parse(readFileSync(report, 'utf8')) as { total: { events: number }; timeline: { second: number; events: number }[] };
    expect(r.total.events).toBe(sent);
    // The curve allows 300k; each worker stops at the end with less than one request (100 spans) unsent.
    expect(sent).toBeGreaterThan(300_000 - 2 * 100);
    expect(sent).toBeLessThanOrEqual(300_000);

    // Every whole second of arrival at the sink inside the 10 s timeline, against the ramp on the daemon's clock.
    const seconds = r.timeline.filter((s) => s.second * 1000 >= origin && (s.second + 1) * 1000 <= origin + 10_000);
    expect(seconds.length).toBeGreaterThanOrEqual(8);
    const off = seconds.map((s) => {
      const expected = allowed((s.second + 1) - origin / 1000) - allowed(s.second - origin / 1000);
      return { at: Math.round((s.second * 1000 - origin)), got: s.events, expected: Math.round(expected), ratio: s.events / expected };
    });
    for (const o of off) expect(Math.abs(o.ratio - 1), JSON.stringify(off)).toBeLessThanOrEqual(0.05);

    // Stats lines carry the target and the stage as the ramp goes.
    const stats = d.lines.filter((l: LogLine) => l.msg === 'stats' && l.pipeline === 'traces');
    const stages = stats.map((l) => l.stage);
    expect(stages).toContain(0);
    expect(stages).toContain(1);
    const targets = stats.filter((l) => l.stage === 0).map((l) => Number(l.rate_target));
    expect(targets.length).toBeGreaterThanOrEqual(2);
    expect(targets).toEqual([...targets].sort((a, b) => a - b));
    // Once both workers' last snapshots are well inside the hold, the target is the hold's.
    const holding = stats.filter((x) => x.state === 'running' && Number(x.time) > origin + 6500);
    expect(holding.length).toBeGreaterThanOrEqual(1);
    for (const l of holding) expect(l).toMatchObject({ stage: 1, rate_target: 40_000 });
  }, 60_000);
});
