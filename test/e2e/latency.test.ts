import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, summaries, tempDir, tracesConfig, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const sink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

describe('export latency', () => {
  it('against a sink that answers after 200 ms: p50/p99 in stats lines, the summary and /metrics start at 200 ms', async () => {
    const s = await sink({ grpc: '127.0.0.1:0', faults: { delayMs: 200 } });
    const port = await freePort();
    // 4 requests of 500 spans in flight, each 200 ms: at most 10k spans/s get through, so 5k/s keeps slots free.
    const yaml = tracesConfig({ exporter: `otlp_grpc: { endpoint: ${s.grpcAddress}, tls: { insecure: true } }`, rate: 5000, duration: '4s' })
      .replace('metrics: { address: none }', `metrics: { address: 127.0.0.1:${port} }`);
    const d = runCli(['--config', writeConfig(tempDir(), yaml)]);
    await d.waitFor((l) => l.msg === 'stats' && Number(l.sent_spans) > 0);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(await d.exited, d.stderr()).toBe(0);

    const labels = 'pipeline="traces",exporter="otlp_grpc",signal="traces"';
    const sample = (name: string, le?: string): number =>
      Number(new RegExp(`^otel_replayd_export_latency_seconds_${name}\\{${le ? `le="${le}",` : ''}${labels}\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('count')).toBeGreaterThan(0);
    // Nothing came back faster than the sink's delay; everything within a few seconds.
    expect(sample('bucket', '0.15')).toBe(0);
    expect(sample('bucket', '5')).toBe(sample('count'));
    expect(sample('sum') / sample('count')).toBeGreaterThanOrEqual(0.2);

    const stats = d.lines.filter((l) => l.msg === 'stats' && l.latency_p50_ms !== null);
    expect(stats.length).toBeGreaterThanOrEqual(2);
    for (const l of stats) {
      expect(Number(l.latency_p50_ms)).toBeGreaterThanOrEqual(200);
      expect(Number(l.latency_p50_ms)).toBeLessThan(1000);
      expect(Number(l.latency_p99_ms)).toBeGreaterThanOrEqual(Number(l.latency_p50_ms));
      expect(Number(l.latency_p99_ms)).toBeLessThan(3000);
    }
    const sum = summaries(d.lines).get('traces')!;
    expect(Number(sum.latency_p50_ms)).toBeGreaterThanOrEqual(200);
    expect(Number(sum.latency_p50_ms)).toBeLessThan(1000);
    expect(Number(sum.latency_p99_ms)).toBeGreaterThanOrEqual(Number(sum.latency_p50_ms));
    // The daemon held its rate: the delay added latency, not a slowdown.
    expect(Number(sum.rate)).toBeGreaterThan(5000 * 0.9);
  });
});
