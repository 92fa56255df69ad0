import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/telemetry/dashboard.js';
import { MetricsServer } from '../../src/telemetry/metrics-server.js';
import type { RunData } from '../../src/telemetry/run-data.js';
import { RunRecorder } from '../../src/telemetry/run-recorder.js';
import { browserClosedAfterEach, saveScreenshot, shown } from '../helpers/browser.js';
import { CLI, cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { parseSamples, value } from '../helpers/prometheus.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

const silent = pino({ level: 'silent' });
const open = browserClosedAfterEach();
/** A daemon, its sink and a browser on two cores shared with other suites. */
const E2E_TIMEOUT_MS = 90_000;
const runCli = cliKilledAfterEach();
const running: DaemonProcess[] = [];
const terminals: ChildProcess[] = [];
const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) d.child.kill('SIGKILL');
  for (const t of terminals.splice(0)) t.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(source: FakeSource, dashboard: boolean, opts: { runId?: string; address?: string } = {}) {
  const recorder = new RunRecorder({ source, log: silent, runId: opts.runId ?? 'r', version: '0' });
  const server = new MetricsServer({ source, log: silent, address: opts.address ?? '127.0.0.1:0', dashboard: dashboard ? new Dashboard(recorder) : undefined });
  servers.push(server);
  return { recorder, base: `http://${await server.start()}` };
}

describe('the dashboard routes', () => {
  it('serves the page at / and the run at /api/run beside /metrics, only the newest points after a cursor', async () => {
    const source = new FakeSource();
    source.pipelines = [pipeline({ pipeline: 'traces', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 10 }) } })];
    const { recorder, base } = await serve(source, true);
    recorder.sample();
    recorder.sample();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toMatch(/<main id="app">/);
    const all = (await (await fetch(`${base}/api/run`)).json()) as RunData;
    expect(all.pipelines[0]!.points.map((p) => p.seq)).toEqual([1, 2]);
    recorder.sample();
    const newer = (await (await fetch(`${base}/api/run?epoch=${all.epoch}&seq=${all.seq}`)).json()) as RunData;
    expect(newer.pipelines[0]!.points.map((p) => p.seq)).toEqual([3]);
    const stale = (await (await fetch(`${base}/api/run?epoch=${all.epoch + 1}&seq=${all.seq}`)).json()) as RunData;
    expect(stale.pipelines[0]!.points.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/api/run`, { method: 'POST' })).status).toBe(405);
  });

  it('starts over in an open page when another run serves the same address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const first = new FakeSource();
    first.pipelines = [pipeline({ pipeline: 'traces/first', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 10 }) } })];
    const a = await serve(first, true, { runId: 'run-a', address });
    for (let i = 0; i < 5; i++) a.recorder.sample();
    const { page, errors, ready } = await open(`http://${address}/`);
    await ready('[data-pipeline="traces/first"]');
    await servers.shift()!.close();
    const second = new FakeSource();
    second.pipelines = [pipeline({ pipeline: 'traces/second', sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 10 }) } })];
    const b = await serve(second, true, { runId: 'run-b', address });
    b.recorder.sample();
    await ready('[data-pipeline="traces/second"]');
    expect(await page.locator('[data-pipeline="traces/first"]').count()).toBe(0);
    expect(await page.textContent('#run-meta')).toMatch(/^run run-b/);
    // The new run's one point, not the first run's five.
    expect(await page.locator('[data-pipeline="traces/second"] [data-chart="rate"] polyline').first().getAttribute('points')).toMatch(/^[\d.]+,[\d.]+$/);
    expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });

  it('answers 404 at / and /api/run when the dashboard is off', async () => {
    const { base } = await serve(new FakeSource(), false);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/api/run`)).status).toBe(404);
  });
});

describe('the dashboard by default', () => {
  it('is on when a person watches (stdout a terminal, outside CI) and off otherwise', async () => {
    const [grpc, metrics] = [await freePort(), await freePort()];
    const config = writeConfig(tempDir(), `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  timestamp: {}
  batch_splitter: { max_items: 500 }
  ratelimit: { events_per_second: 1000 }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:${grpc}, tls: { insecure: true } }
extensions:
  sink: { grpc: 127.0.0.1:${grpc} }
service:
  # Long enough to ask for the page while the metrics endpoint serves (it listens from
  # before the pipelines load until they have drained), short enough not to idle.
  duration: 3s
  telemetry: { metrics: { address: 127.0.0.1:${metrics} } }
  pipelines:
    traces: { receivers: [template/demo], processors: [timestamp, batch_splitter, ratelimit], exporters: [otlp_grpc] }
`);
    const page = async () => (await fetch(`http://127.0.0.1:${metrics}/`)).status;
    // As every test's child: CI=true, stdout a pipe.
    const unattended = runCli(['--config', config]);
    running.push(unattended);
    const listening = await unattended.waitFor((l) => l.msg === 'metrics and health endpoint listening');
    expect(listening.dashboard).toBeUndefined();
    expect(await page()).toBe(404);
    expect(await unattended.exited).toBe(0);
    // In a terminal (script(1) gives the daemon a pseudo-terminal), CI unset. The run ends by itself (duration).
    const { CI: _ci, ...env } = process.env;
    const watched = spawn('script', ['-qec', `'${process.execPath}' '${CLI}' --config '${config}'`, '/dev/null'], { env, stdio: 'ignore' });
    terminals.push(watched);
    const exited = new Promise<number | null>((r) => watched.on('exit', (code) => r(code)));
    await expect.poll(() => page().catch(() => 0), { timeout: 20_000, interval: 200 }).toBe(200);
    expect(await exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});

/** Everything the page shows that the test compares, read in one go so it comes from one update. */
async function readPage(page: import('playwright-core').Page) {
  return page.evaluate(() => {
    const text = (sel: string) => document.querySelector(sel)?.textContent ?? null;
    const tiles = (scope: string) => Object.fromEntries([...document.querySelectorAll(`${scope} [data-field]`)]
      .map((t) => [t.getAttribute('data-field'), t.querySelector('.value')?.textContent ?? t.textContent]));
    return {
      seq: Number(document.getElementById('app')!.dataset.seq ?? 0),
      status: text('#status'),
      traces: tiles('[data-pipeline="traces"]'),
      logs: tiles('[data-pipeline="logs"]'),
      sink: tiles('[data-sink]'),
      charts: [...document.querySelectorAll('[data-pipeline="traces"] [data-chart]')].map((c) => [c.getAttribute('data-chart'), c.querySelectorAll('polyline').length]),
    };
  });
}

describe('the live dashboard of a daemon replaying to its sink', () => {
  it('shows per pipeline what /metrics says, and what the sink received, updating every second', async () => {
    const [grpc, http] = [await freePort(), await freePort()];
    const d = runCli(['--config', writeConfig(tempDir(), `
receivers:
  template/demo: { traces: ${DEMO.traces}, logs: ${DEMO.logs} }
processors:
  id_regen: {}
  timestamp: {}
  batch_splitter: { max_items: 500 }
  ratelimit/traces: { events_per_second: 20000 }
  ratelimit/logs: { events_per_second: 5000 }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:${grpc}, tls: { insecure: true } }
  otlp_http: { endpoint: http://127.0.0.1:${http} }
extensions:
  sink: { grpc: 127.0.0.1:${grpc}, http: 127.0.0.1:${http} }
service:
  duration: 60s
  telemetry: { stats_interval: 1s, dashboard: true, metrics: { address: 127.0.0.1:0 } }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/traces], exporters: [otlp_grpc] }
    logs: { receivers: [template/demo], processors: [id_regen, timestamp, batch_splitter, ratelimit/logs], exporters: [otlp_http] }
`)]);
    running.push(d);
    const listening = await d.waitFor((l) => l.msg === 'metrics and health endpoint listening');
    const base = `http://${String(listening.address)}`;
    expect(listening.dashboard).toBe(`${base}/`);
    const { page, errors } = await open(`${base}/`);
    // What the page was answered, to compare what it shows with the data it drew.
    const answers: RunData[] = [];
    page.on('response', (r) => void (r.url().includes('/api/run') && r.json().then((d: RunData) => answers.push(d), () => undefined)));

    // Wait until both pipelines sent and the sink received something, then for a few points on the charts.
    await page.waitForFunction(() => {
      const v = (sel: string) => Number(document.querySelector(sel)?.textContent?.replace(/,/g, '') || 0);
      return v('[data-pipeline="traces"] [data-field="sent"] .value') > 0 && v('[data-pipeline="logs"] [data-field="sent"] .value') > 0
        && v('[data-sink] [data-field="traces.events"] .value') > 0 && Number(document.getElementById('app')!.dataset.seq) >= 6;
    }, undefined, { timeout: 25_000 });

    const scrape = async () => parseSamples(await (await fetch(`${base}/metrics`)).text());
    const before = await scrape();
    const api = (await (await fetch(`${base}/api/run`)).json()) as RunData;
    await page.waitForFunction((seq) => Number(document.getElementById('app')!.dataset.seq) > seq, api.seq, { timeout: 10_000 });
    const shownNow = await readPage(page);
    const after = await scrape();
    const sent = (m: typeof before, p: string) => value(m, 'otel_replayd_sent_events_total', { pipeline: p })!;

    expect(shownNow.status).toBe('running');
    await expect.poll(() => answers.some((a) => a.seq === shownNow.seq)).toBe(true);
    for (const p of ['traces', 'logs'] as const) {
      const tiles = shownNow[p];
      // The page shows a sample taken after the first scrape and before the second.
      expect(shown(tiles.sent!)).toBeGreaterThanOrEqual(sent(before, p));
      expect(shown(tiles.sent!)).toBeLessThanOrEqual(sent(after, p));
      expect(shown(tiles.rate_target!)).toBe(value(after, 'otel_replayd_rate_target_events_per_second', { pipeline: p }));
      expect(shown(tiles.failed!)).toBe(value(after, 'otel_replayd_failed_events_total', { pipeline: p }));
      expect(shown(tiles.retries!)).toBe(value(after, 'otel_replayd_retries_total', { pipeline: p }));
      // The rate shown is the one of the sample drawn (its last second of sending time). One
      // second can be empty or hold a catch-up burst on a loaded machine, so the ratelimit is
      // checked over the whole run so far: below its target plus two 500-event requests (the
      // first request's phase and the one admitted on credit).
      const drawn = answers.find((a) => a.seq === shownNow.seq)!.pipelines.find((x) => x.pipeline === p)!.now;
      expect(shown(tiles.rate!)).toBe(Math.round(drawn.rate));
      expect(drawn.sent / drawn.sending_s).toBeGreaterThan(0);
      expect(drawn.sent).toBeLessThanOrEqual(shown(tiles.rate_target!) * drawn.sending_s + 1000);
      expect(shown(tiles.mb_per_s!)).toBe(Math.round(drawn.mb_per_s * 100) / 100);
      expect(shown(tiles.mb_per_s!)).toBeGreaterThan(0);
      expect(Number.isInteger(shown(tiles.in_flight!))).toBe(true);
    }
    // Latency shows p50 / p99 when the daemon measures it, a dash otherwise; no stages here.
    const now = api.pipelines.find((p) => p.pipeline === 'traces')!.now;
    if (now.latency_p50_ms === null) expect(shownNow.traces.latency).toBe('\u2014 / \u2014');
    else expect(shownNow.traces.latency).toMatch(/^[\d.,]+ \/ [\d.,]+$/);
    expect(shownNow.traces.stage).toBe('\u2014');
    // The sink answers a request before the exporter counts it as sent: it never shows less.
    expect(shown(shownNow.sink['traces.events']!)).toBeGreaterThanOrEqual(shown(shownNow.traces.sent!));
    expect(shown(shownNow.sink['logs.events']!)).toBeGreaterThanOrEqual(shown(shownNow.logs.sent!));
    // Every chart has its lines: sent and target, failed and retries, in flight, MB/s (latency only when measured).
    expect(Object.fromEntries(shownNow.charts)).toMatchObject({ rate: 2, failures: 2, in_flight: 1, mb_per_s: 1 });
    expect(errors).toEqual([]);
    const shot = await saveScreenshot(page, 'dashboard.png', { fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');

    d.child.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines);
    expect(Number(sum.get('traces')!.sent_spans)).toBeGreaterThanOrEqual(shown(shownNow.traces.sent!));
    const received = d.lines.find((l) => l.msg === 'sink extension summary')!.received as Record<string, { events: number }>;
    expect(received.traces!.events).toBeGreaterThanOrEqual(shown(shownNow.sink['traces.events']!));
    // Once the daemon is gone the page says so instead of showing stale numbers as live.
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'disconnected', undefined, { timeout: 10_000 });
  }, E2E_TIMEOUT_MS);
});
