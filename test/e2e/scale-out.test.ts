/**
 * Scale-out without a cluster: daemons started with the environment Kubernetes gives the
 * pods of an Indexed Job or a StatefulSet, against one sink. Rates are taken over the
 * sink's own counts and each daemon's reported sending window, never the test's clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MergedReport } from '../../src/telemetry/report-merge.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const sink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

const REPLICAS = 4;
const RATE = 4000;
/** A pod tags its resources with its own name, as `${env:HOSTNAME}` does in a cluster; the sink counts by it. */
const TAG = 'k8s.pod.name';

function config(endpoint: string, startAt: string, extra = ''): string {
  return `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  resource: { attributes: [{ key: ${TAG}, action: upsert, value: "\${env:HOSTNAME}" }] }
  batch_splitter: { max_items: 50 }
  ratelimit: { events_per_second: ${RATE} }
exporters:
  otlp_grpc: { endpoint: ${endpoint}, tls: { insecure: true } }
service:
  duration: 10s
  start_at: ${startAt}
  telemetry: { stats_interval: 1s, metrics: { address: none } }${extra}
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, resource, batch_splitter, ratelimit], exporters: [otlp_grpc] }
`;
}

/** What the kubelet puts in the environment of replica `i`'s pod. */
const PODS: Record<string, (i: number) => Record<string, string>> = {
  // Indexed Job pods are named <job>-<index>-<random>; the index comes from JOB_COMPLETION_INDEX.
  'an Indexed Job': (i) => ({ JOB_COMPLETION_INDEX: String(i), HOSTNAME: `otel-replayd-${i}-x7k2p`, OTEL_REPLAYD_REPLICAS: String(REPLICAS) }),
  // StatefulSet pods are named <set>-<ordinal>; the count comes from the ConfigMap's service.replicas.count.
  'a StatefulSet': (i) => ({ HOSTNAME: `otel-replayd-${i}` }),
};

describe('scale-out', () => {
  it.each(Object.keys(PODS))('4 replicas of %s split the rate exactly, start together, never repeat a span id, and their merged reports match the sink', async (kind) => {
    const s = await sink({ grpc: '127.0.0.1:0', verify: true, countBy: TAG });
    // Time for 4 daemons to start and load on a busy 2-core machine (about 5 s when it is
    // shared), with room to spare: they send from then on.
    const startAt = new Date(Math.ceil((Date.now() + 20_000) / 1000) * 1000).toISOString();
    const extra = kind === 'a StatefulSet' ? `\n  replicas: { count: ${REPLICAS} }` : '';
    const dir = tempDir();
    const file = writeConfig(dir, config(s.grpcAddress!, startAt, extra));
    const daemons: DaemonProcess[] = [];
    const reports = Array.from({ length: REPLICAS }, (_, i) => join(dir, `replica-${i}.json`));
    for (let i = 0; i < REPLICAS; i++) daemons.push(runCli(['--config', file, '--report', reports[i]!], { env: { ...PODS[kind]!(i), OTEL_REPLAYD_RUN_ID: 'run-42' } }));
    const codes = await Promise.all(daemons.map((d) => d.exited));
    expect(codes, daemons.map((d) => d.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
    await s.close();

    const byPod = s.countsBy().traces;
    let total = 0;
    for (let i = 0; i < REPLICAS; i++) {
      const d = daemons[i]!;
      const started = d.lines.find((l) => l.msg === 'otel-replayd starting')!;
      expect(started).toMatchObject({ replica: i, replicas: REPLICAS, run_id: 'run-42' });
      // Every replica waited for the same moment: none had missed it while loading.
      expect(d.lines.some((l) => l.msg === 'loaded: waiting for service.start_at'), JSON.stringify(d.lines.slice(0, 8))).toBe(true);
      const sum = summaries(d.lines).get('traces')!;
      expect(sum).toMatchObject({ replica: i, replicas: REPLICAS, run_id: 'run-42', rate_target: RATE / REPLICAS, failed: 0 });
      const received = byPod[PODS[kind]!(i).HOSTNAME!]!;
      // The sink got exactly what the replica counted as sent.
      expect(received).toBe(Number(sum.sent_spans));
      const rate = received / Number(sum.duration_s);
      expect(rate, `replica ${i}`).toBeGreaterThan((RATE / REPLICAS) * 0.97);
      expect(rate, `replica ${i}`).toBeLessThan((RATE / REPLICAS) * 1.03);
      total += rate;
    }
    expect(total).toBeGreaterThan(RATE * 0.97);
    expect(total).toBeLessThan(RATE * 1.03);
    expect(Object.keys(byPod)).toHaveLength(REPLICAS);

    const v = (await s.verification())!;
    expect(v.checked.traces).toBe(s.counts().traces.events);
    expect(v.problems, JSON.stringify(v.examples)).toEqual({});
    expect(v.ok).toBe(true);

    // The replicas' reports, merged, say what the sink received, in total and per replica.
    const mergedFile = join(dir, 'merged.json');
    const merge = runCli(['report', 'merge', ...[...reports].reverse(), '--json', mergedFile, '--html', join(dir, 'merged.html')]);
    expect(await merge.exited, merge.stderr()).toBe(0);
    const merged = JSON.parse(readFileSync(mergedFile, 'utf8')) as MergedReport;
    expect(merged).toMatchObject({ run_id: 'run-42', missing_replicas: [] });
    expect(merged.summary[0]!.sent_spans).toBe(s.counts().traces.events);
    expect(merged.pipelines[0]!.now.sent).toBe(s.counts().traces.events);
    expect(merged.pipelines[0]!.points.at(-1)!.sent).toBe(s.counts().traces.events);
    expect(Number(merged.summary[0]!.rate)).toBeCloseTo(total, 0);
    expect(merged.replicas.map((r) => [r.replica, r.summary[0]!.sent_spans])).toEqual(
      Array.from({ length: REPLICAS }, (_, i) => [`${i}/${REPLICAS}`, byPod[PODS[kind]!(i).HOSTNAME!]]));
    expect(merge.lines.map((l) => l.msg).join('\n')).toContain(`sent_spans ${s.counts().traces.events.toLocaleString('en-US')}`);
  }, 90_000);
});

describe('service.start_at', () => {
  it('loads, answers /healthz 200 "waiting", says so in stats lines, sends nothing until the moment, then runs for its duration', async () => {
    const s = await sink({ grpc: '127.0.0.1:0' });
    const port = await freePort();
    const startMs = Math.ceil((Date.now() + 5000) / 1000) * 1000;
    const yaml = config(s.grpcAddress!, new Date(startMs).toISOString())
      .replace('duration: 10s', 'duration: 2s')
      .replace('metrics: { address: none }', `metrics: { address: 127.0.0.1:${port} }`);
    const d = runCli(['--config', writeConfig(tempDir(), yaml)], { env: { HOSTNAME: 'solo' } });
    const waiting = await d.waitFor((l) => l.msg === 'loaded: waiting for service.start_at');
    expect(waiting).toMatchObject({ start_at: new Date(startMs).toISOString() });
    expect(Number(waiting.starts_in_s)).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    const stats = await d.waitFor((l) => l.msg === 'stats' && l.state === 'waiting');
    expect(Number(stats.starts_in_s)).toBeGreaterThan(0);
    // Read before the moment (the stats line said it is still ahead): nothing has been sent.
    const before = s.counts().traces.requests;
    const beforeAt = Date.now();
    expect([health.status, await health.json()]).toEqual([200, { status: 'waiting' }]);
    if (beforeAt < startMs) expect(before).toBe(0);
    expect(await d.exited, d.stderr()).toBe(0);
    const stopping = d.lines.find((l) => l.msg === 'stopping')!;
    // The duration counts from start_at, not from when the daemon started.
    expect(Number(stopping.time)).toBeGreaterThanOrEqual(startMs + 2000 - 50);
    expect(stopping).toMatchObject({ reason: 'duration reached' });
    expect(d.lines.some((l) => l.msg === 'stats' && l.state === 'running')).toBe(true);
    expect(s.counts().traces.events).toBe(Number(summaries(d.lines).get('traces')!.sent_spans));
  }, 30_000);
});
