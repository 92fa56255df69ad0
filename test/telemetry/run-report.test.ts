import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunData } from '../../src/telemetry/run-data.js';
import { RunRecorder } from '../../src/telemetry/run-recorder.js';
import { writeRunReports, type RunReport } from '../../src/telemetry/run-report.js';
import { emptyLatency } from '../../src/worker/latency-histogram.js';
import { browserClosedAfterEach, saveScreenshot, shown } from '../helpers/browser.js';
import { cliKilledAfterEach, DEMO, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

const open = browserClosedAfterEach();
/** A daemon, its sink and a browser on two cores shared with other suites. */
const E2E_TIMEOUT_MS = 90_000;
const runCli = cliKilledAfterEach();
const running: DaemonProcess[] = [];
afterEach(() => {
  for (const d of running.splice(0)) d.child.kill('SIGKILL');
});

function daemon(args: string[], env: Record<string, string> = {}): DaemonProcess {
  const d = runCli(args, { env });
  running.push(d);
  return d;
}

const SECRETS = { literal: 'literal-secret-123', fromEnv: 'env-secret-456', envDefault: 'default-secret-000', envValue: 'env-run-789' };
const INJECTION = "</script><script>document.title='pwned'</script>";

/** The fields of a pino line that are the logger's, not the summary's. */
function withoutLogFields(line: Record<string, unknown>): Record<string, unknown> {
  const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, msg: _m, ...rest } = line;
  return rest;
}

describe('--report', () => {
  it('writes the run as JSON and as one self-contained HTML page at exit: charts, summary, sink, config without secrets', async () => {
    const grpc = await freePort();
    const dir = tempDir();
    const config = writeConfig(dir, `
receivers:
  template/demo: { traces: ${DEMO.traces} }
processors:
  id_regen: {}
  timestamp: {}
  resource: { attributes: [ { key: loadtest.run, value: "\${env:RUN_LABEL}", action: upsert }, { key: note, value: "${INJECTION}", action: upsert } ] }
  batch_splitter: { max_items: 500 }
  ratelimit: { events_per_second: 10000 }
exporters:
  otlp_grpc:
    endpoint: 127.0.0.1:${grpc}
    tls: { insecure: true }
    headers: { authorization: "Bearer ${SECRETS.literal}", x-team: "\${env:TEAM_TOKEN}", x-fallback: "\${env:UNSET_TOKEN_F2:-${SECRETS.envDefault}}" }
extensions:
  sink: { grpc: 127.0.0.1:${grpc} }
service:
  duration: 5s
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], processors: [id_regen, timestamp, resource, batch_splitter, ratelimit], exporters: [otlp_grpc] }
`);
    const html = join(dir, 'run.html');
    const json = join(dir, 'run.json');
    const d = daemon(['--config', config, '--report', html, '--report', json], { TEAM_TOKEN: SECRETS.fromEnv, RUN_LABEL: SECRETS.envValue });
    expect(await d.exited, d.stderr()).toBe(0);
    expect(d.lines.find((l) => l.msg === 'run report written')?.files).toEqual([html, json]);

    const report = JSON.parse(readFileSync(json, 'utf8')) as RunReport;
    const summary = summaries(d.lines).get('traces')!;
    const received = (d.lines.find((l) => l.msg === 'sink extension summary')!.received as Record<string, { events: number }>).traces!.events;
    expect(report.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(report.run_id).toBe(d.lines.find((l) => l.msg === 'otel-replayd starting')!.run_id);
    expect(report).toMatchObject({ replica: null, live: false, status: 'finished', stop_reason: 'duration reached', exit_code: 0 });
    expect(report.summary).toEqual([withoutLogFields(summary)]);
    const traces = report.pipelines[0]!;
    expect(traces.points.length).toBeGreaterThanOrEqual(3);
    expect(traces.points.at(-1)!.sent).toBe(summary.sent_spans);
    expect(traces.points.at(-1)!.sending_s).toBe(summary.duration_s);
    expect(report.sink!.counts.traces.events).toBe(received);
    expect((report.sink_summary as { total: { events: number } }).total.events).toBe(received);
    const content = report.config!.content as Record<string, Record<string, Record<string, unknown>>>;
    expect(report.config!.file).toBe(config);
    expect(content.exporters!.otlp_grpc!.headers).toEqual({ authorization: '[redacted]', 'x-team': '[redacted]', 'x-fallback': '[redacted]' });
    expect((content.processors!.resource!.attributes as { value: string }[]).map((a) => a.value)).toEqual(['${env:RUN_LABEL}', INJECTION]);
    const htmlText = readFileSync(html, 'utf8');
    for (const text of [readFileSync(json, 'utf8'), htmlText]) {
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    }
    // The config's text cannot end the script element it is embedded in.
    expect(htmlText).not.toContain(INJECTION);

    const { page, errors, requests, ready } = await open(pathToFileURL(html).href);
    await ready('[data-summary="traces"]');
    const cell = async (col: string) => page.textContent(`[data-summary="traces"] [data-col="${col}"]`);
    expect(shown(await cell('sent'))).toBe(summary.sent_spans);
    expect(shown(await cell('rate /s'))).toBe(summary.rate);
    expect(shown(await cell('target /s'))).toBe(summary.rate_target);
    expect(shown(await cell('failed'))).toBe(summary.failed);
    expect(shown(await cell('retries'))).toBe(summary.retries);
    expect(shown(await cell('requests'))).toBe(summary.sent_requests);
    expect(shown(await cell('duration s'))).toBe(summary.duration_s);
    expect(shown(await page.textContent('[data-pipeline="traces"] [data-field="sent"] .value'))).toBe(summary.sent_spans);
    expect(shown(await page.textContent('[data-pipeline="traces"] [data-field="rate"] .value'))).toBe(summary.rate);
    expect(shown(await page.textContent('[data-pipeline="traces"] [data-field="mb_per_s"] .value'))).toBe(summary.mb_per_s);
    expect(shown(await page.textContent('[data-sink] [data-field="traces.events"] .value'))).toBe(received);
    expect(await page.textContent('#status')).toBe('finished');
    expect(await page.locator('[data-pipeline="traces"] [data-chart="rate"] polyline').count()).toBe(2);
    const shownConfig = (await page.textContent('[data-config] pre'))!;
    expect(shownConfig).toContain('${env:RUN_LABEL}');
    expect(shownConfig).toContain('[redacted]');
    expect(JSON.parse(shownConfig)).toEqual(report.config!.content);
    expect(await page.title()).not.toBe('pwned');
    // Self-contained: nothing but the file itself was loaded, and the page's policy blocked nothing.
    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(errors).toEqual([]);
    const shot = await saveScreenshot(page, 'report.png', { fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  }, E2E_TIMEOUT_MS);

  it('shows a capacity search\'s progress from the run, every step as evidence, the ratelimit stage and export latency', async () => {
    const source = new FakeSource();
    // 10 requests in (1.5, 2] ms and 10 in (300, 500] ms.
    const latency = emptyLatency();
    latency.counts[2] = 10;
    latency.counts[16] = 10;
    const step = (n: number, target: number, sentRate: number, held: boolean, reasons: string[] = []) => ({
      step: n, phase: n < 3 ? 'ramp' as const : 'narrow' as const, attempt: 1, target, sentRate, windowMs: 5000, requests: 100,
      failedRequests: held ? 0 : 12, retries: 0, errorRatio: held ? 0 : 0.12, p50Ms: 2, p99Ms: held ? 15 : 310, held, reasons,
    });
    const capacity = {
      step: 3, phase: 'narrow' as const, target: 47500, maxSustained: 40000,
      steps: [step(1, 40000, 39990, true), step(2, 55000, 49870, false, ['sent 91 % of the target', 'errors 12.0 %'])],
    };
    source.pipelines = [
      pipeline({ pipeline: 'traces', rateTarget: 47500, sendingMs: 1000, latency: { otlp_grpc: latency }, capacity, exporters: { otlp_grpc: counters({ sentEvents: 48000 }) } }),
      pipeline({ pipeline: 'logs', signal: 'logs', rateTarget: 1000, stage: 1, sendingMs: 1000, exporters: { otlp_grpc: counters({ sentEvents: 1000 }) } }),
    ];
    const recorder = new RunRecorder({ source, log: pino({ level: 'silent' }), runId: 'r', version: '0' });
    recorder.sample();
    recorder.finish();
    const file = join(tempDir(), 'capacity.html');
    const data: RunData = recorder.data();
    expect(data.pipelines[0]!.capacity).toMatchObject({ step: 3, max_sustained_events_per_second: 40000, steps: [{ target_events_per_second: 40000, held: true }, { held: false }] });
    await writeRunReports([file], { ...data, ended_at: data.updated_at, stop_reason: 'capacity found', exit_code: 0, summary: [], sink_summary: null, config: null });
    const { page, errors, ready } = await open(pathToFileURL(file).href);
    await ready('[data-capacity]');
    const traces = '[data-pipeline="traces"]';
    expect(shown(await page.textContent(`${traces} [data-capacity] [data-field="max_sustained_events_per_second"] .value`))).toBe(40000);
    expect(await page.textContent(`${traces} [data-field="stage"] .value`)).toBe('3');
    expect(await page.textContent(`${traces} [data-field="stage"] .note`)).toBe('narrow \u00b7 target 47,500');
    const rows = await page.$$eval(`${traces} [data-capacity] tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['1', 'ramp', '1', '40,000', '39,990', '5.0', '2.00', '15.0', '0.0 %', 'held'],
      ['2', 'ramp', '1', '55,000', '49,870', '5.0', '2.00', '310', '12.0 %', 'failed: sent 91 % of the target; errors 12.0 %'],
    ]);
    expect(await page.textContent(`${traces} [data-field="latency"] .value`)).toBe('2.00 / 496');
    expect(await page.locator(`${traces} [data-chart="latency"] polyline`).count()).toBe(2);
    expect(await page.textContent('[data-pipeline="logs"] [data-field="stage"] .value')).toBe('2');
    expect(await page.locator('[data-pipeline="logs"] [data-capacity]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('refuses a report name without .html or .json, or in a folder that does not exist, before the run (exit 2)', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, `
receivers:
  template/demo: { traces: ${DEMO.traces}, loops: 1 }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:1, tls: { insecure: true } }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/demo], exporters: [otlp_grpc] }
`);
    const badName = daemon(['--config', config, '--report', join(dir, 'run.txt')]);
    expect(await badName.exited).toBe(2);
    expect(badName.stderr()).toMatch(/--report .*run\.txt: the name must end in \.html or \.json/);
    const noFolder = daemon(['--config', config, '--report', join(dir, 'missing', 'run.html')]);
    expect(await noFolder.exited).toBe(2);
    expect(noFolder.stderr()).toContain(`folder ${join(dir, 'missing')} does not exist`);
    expect(noFolder.lines.some((l) => l.msg === 'otel-replayd starting')).toBe(false);
  });
});
