/** What the daemon checks before it starts pipelines (and before a reload starts them), as a real child process. */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCerts, type TestCerts } from '../helpers/certs.js';
import { cliKilledAfterEach, DEMO, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';

/** The daemon's limit on worker threads (see src/service/capacity.ts). */
const THREAD_LIMIT = Math.max(64, 16 * availableParallelism());

let certs: TestCerts;
beforeAll(() => {
  certs = createTestCerts();
});
afterAll(() => certs.cleanup());

const runCli = cliKilledAfterEach();

function run(cfg: string): DaemonProcess {
  return runCli(['--config', cfg]);
}

function config(exporter: string, pipeline = ''): string {
  return `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  ratelimit: { events_per_second: 1000 }
exporters:
  ${exporter}
service:
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [ratelimit], exporters: [${exporter.split(':')[0]}]${pipeline} }
`;
}

describe('before the pipelines start', () => {
  it('refuses a malformed PEM file with exit 2, naming the key and the file, without a stack trace', async () => {
    const dir = tempDir();
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, readFileSync(certs.caFile, 'utf8').replace(/\n(.)(.)/, '\n$2!'));
    const d = run(writeConfig(dir, config(`otlp_grpc/tls: { endpoint: 127.0.0.1:1, tls: { ca_file: ${ca} } }`)));
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toContain(`exporters.otlp_grpc/tls.tls.ca_file: ${ca} holds a malformed certificate (bad base64 decode)`);
    expect(d.stderr()).not.toMatch(/\n\s+at /);
    expect(d.lines.filter((l) => l.msg === 'pipeline started')).toEqual([]);
  });

  // One pipeline has at most 1024 workers: on 64 cores or more it cannot exceed the limit alone.
  it.skipIf(THREAD_LIMIT >= 1024)('refuses more worker threads than the machine runs usefully, at once and before spawning any', async () => {
    const workers = THREAD_LIMIT + 1;
    const d = run(writeConfig(tempDir(), config('otlp_grpc: { endpoint: 127.0.0.1:1, tls: { insecure: true } }', `, workers: ${workers}`)));
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toContain(`service.pipelines.traces.workers: ${workers} worker threads in all (traces: ${workers}) is more than ${THREAD_LIMIT}`);
    expect(d.lines.filter((l) => l.msg === 'pipeline started')).toEqual([]);
  });

  it('logs the capacity and every worker as it starts; a reload that would exceed the limits is rejected and the pipelines run on', async () => {
    const dir = tempDir();
    const port = await freePort();
    const exporter = `otlp_http: { endpoint: "http://127.0.0.1:${port}" }`;
    const file = writeConfig(dir, `${config(exporter, ', workers: 2')}\nextensions:\n  sink: { http: "127.0.0.1:${port}" }\n`);
    const d = run(file);
    await d.waitFor((l) => l.msg === 'pipeline started' && l.worker === 1);
    await d.waitFor((l) => l.msg === 'pipeline started' && l.worker === 0);
    expect(d.lines.find((l) => l.msg === 'capacity checked')).toMatchObject({ worker_threads: 2, memory_estimate_mb: expect.any(Number) });
    const started = d.lines.filter((l) => l.msg === 'pipeline started');
    expect(started.map((l) => l.worker).sort()).toEqual([0, 1]);
    expect(started[0]).toMatchObject({ pipeline: 'traces', workers: 2, events: expect.any(Number), frames: expect.any(Number) });

    writeFileSync(file, readFileSync(file, 'utf8').replace('workers: 2', 'workers: 1024'));
    d.child.kill('SIGHUP');
    const rejected = await d.waitFor((l) => l.msg === 'reload rejected: keeping the running pipelines');
    expect(JSON.stringify(rejected.problems)).toContain('service.pipelines.traces.workers');
    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    expect(d.lines.filter((l) => l.msg === 'pipeline started')).toHaveLength(2);
  });
});
