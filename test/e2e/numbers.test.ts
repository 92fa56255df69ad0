import { afterEach, describe, expect, it } from 'vitest';
import { runCli, summaries, tempDir, tracesConfig, writeConfig, type DaemonProcess, type LogLine } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const sink = sinksClosedAfterEach();
const running: DaemonProcess[] = [];
afterEach(() => {
  for (const d of running.splice(0)) d.child.kill('SIGKILL');
});

function daemon(args: string[]): DaemonProcess {
  const d = runCli(args);
  running.push(d);
  return d;
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
    expect(Number(sum.rate)).toBeCloseTo(sent / (durationMs / 1000), 0);
    expect(Number(sum.rate)).toBeGreaterThan(20000 * 0.97);
    expect(Number(sum.rate)).toBeLessThan(20000 * 1.03);
    expect(s.counts().traces.events).toBe(sent);
  });
});
