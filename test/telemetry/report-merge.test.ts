import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ReportError } from '../../src/errors.js';
import { mergeReports, mergeSummaryLines, readRunReport } from '../../src/telemetry/report-merge.js';
import { RunRecorder } from '../../src/telemetry/run-recorder.js';
import { writeRunReports, type RunReport } from '../../src/telemetry/run-report.js';
import { browserClosedAfterEach, shown } from '../helpers/browser.js';
import { tempDir } from '../helpers/daemon.js';
import { counters, FakeSource, pipeline } from './fake-source.js';

const open = browserClosedAfterEach();
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

/**
 * One replica's report as its daemon writes it: sampled every second from `startMs` for
 * `seconds`, sending `rate` spans/s from the first second on.
 */
function replicaReport(index: number, count: number, startMs: number, seconds: number, rate: number, runId = 'run-42'): RunReport {
  const source = new FakeSource();
  let now = startMs;
  const recorder = new RunRecorder({ source, log: pino({ level: 'silent' }), runId, version: '0.1.0', replica: `${index}/${count}`, clock: () => now });
  for (let s = 1; s <= seconds; s++) {
    now = startMs + s * 1000;
    source.pipelines = [pipeline({ pipeline: 'traces', rateTarget: rate, sendingMs: s * 1000, exporters: { otlp_grpc: counters({ sentEvents: rate * s, sentBytes: rate * s * 100 }) } })];
    recorder.sample();
  }
  recorder.finish();
  const data = recorder.data();
  return {
    ...data, ended_at: new Date(now).toISOString(), stop_reason: 'duration reached', exit_code: 0, sink_summary: null, config: null,
    summary: [{
      replica: index, replicas: count, run_id: runId, pipeline: 'traces', signal: 'traces', state: 'stopped', sent_spans: rate * seconds,
      failed: 0, rejected: 0, dropped: 0, retries: 0, rate, rate_target: rate, sent_requests: seconds, duration_s: seconds,
      mb_per_s: (rate * 100) / 1e6, latency_p50_ms: 1 + index, latency_p99_ms: 10 + index,
    }],
  };
}

const files = (n: number) => Array.from({ length: n }, (_, i) => `r${i}.json`);

describe('report merge', () => {
  it('sums the replicas\' totals and summary lines, and lists each replica in index order', () => {
    const reports = [replicaReport(2, 3, T0, 10, 300), replicaReport(0, 3, T0, 10, 100), replicaReport(1, 3, T0, 10, 200)];
    const m = mergeReports(['c.json', 'a.json', 'b.json'], reports);
    expect(m.replicas.map((r) => [r.replica, r.file])).toEqual([['0/3', 'a.json'], ['1/3', 'b.json'], ['2/3', 'c.json']]);
    expect(m.missing_replicas).toEqual([]);
    expect(m.run_id).toBe('run-42');
    const traces = m.pipelines[0]!;
    expect(traces.now.sent).toBe(6000);
    expect(traces.points.at(-1)!.sent).toBe(6000);
    expect(traces.workers).toBe(3);
    expect(m.summary).toEqual([expect.objectContaining({ sent_spans: 6000, rate: 600, rate_target: 600, duration_s: 10, replicas: 3, latency_p99_ms: 12, state: 'stopped' })]);
    expect(m.summary[0]).not.toHaveProperty('replica');
    expect(m.summary[0]).not.toHaveProperty('run_id');
  });

  it('puts replicas that started at different moments on one clock: the summed rate counts only those sending', () => {
    // Replica 1 starts 5 s after replica 0; both send 100 spans/s for 10 s.
    const m = mergeReports(files(2), [replicaReport(0, 2, T0, 10, 100), replicaReport(1, 2, T0 + 5000, 10, 100)]);
    const pts = m.pipelines[0]!.points;
    expect(m.elapsed_s).toBe(15);
    const at = (t: number) => pts.find((p) => p.t === t)!;
    expect(at(3).rate).toBe(100);
    expect(at(8).rate).toBe(200);
    expect(at(13).rate).toBe(100);
    expect(at(8).sent).toBe(800 + 300);
    expect(pts.at(-1)!.sent).toBe(2000);
    // Cumulative counts never fall on the merged clock.
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.sent).toBeGreaterThanOrEqual(pts[i - 1]!.sent);
  });

  it('refuses reports of different runs, a replica given twice, a count that differs, and files that are not run reports', () => {
    const dir = tempDir();
    const notReport = join(dir, 'x.json');
    writeFileSync(notReport, '{"hello": 1}');
    expect(() => readRunReport(notReport)).toThrow(/x\.json: not a run report/);
    expect(() => readRunReport(join(dir, 'missing.json'))).toThrow(/missing\.json: no such file/);
    expect(() => mergeReports(files(2), [replicaReport(0, 2, T0, 3, 10), replicaReport(1, 2, T0, 3, 10, 'other')])).toThrow(/r1\.json: run_id "other" differs from "run-42"/);
    expect(() => mergeReports(files(2), [replicaReport(0, 2, T0, 3, 10), replicaReport(0, 2, T0, 3, 10)])).toThrow(/replica 0\/2 is also in r0\.json/);
    expect(() => mergeReports(files(2), [replicaReport(0, 2, T0, 3, 10), replicaReport(1, 3, T0, 3, 10)])).toThrow(ReportError);
  });

  it('names the replicas no report covers, and sums the ones given', () => {
    const m = mergeReports(files(2), [replicaReport(0, 4, T0, 3, 10), replicaReport(3, 4, T0, 3, 10)]);
    expect(m.missing_replicas).toEqual([1, 2]);
    expect(m.summary[0]).toMatchObject({ sent_spans: 60 });
  });

  it('adds per-exporter breakdowns field by field and keeps strings that agree', () => {
    const merged = mergeSummaryLines([
      { pipeline: 'p', sent_spans: 1, exporters: { a: { sent_spans: 1, latency_p99_ms: 3 } }, duration_s: 4 },
      { pipeline: 'p', sent_spans: 2, exporters: { a: { sent_spans: 5, latency_p99_ms: 2 }, b: { sent_spans: 7 } }, duration_s: 5 },
    ]);
    expect(merged).toEqual({ pipeline: 'p', sent_spans: 3, exporters: { a: { sent_spans: 6, latency_p99_ms: 3 }, b: { sent_spans: 7 } }, duration_s: 5 });
  });

  it('renders as the run report does, with the summed totals and a row per replica', async () => {
    const m = mergeReports(files(3), [0, 1, 2].map((i) => replicaReport(i, 3, T0 + i * 300, 8, 100 * (i + 1))));
    const html = join(tempDir(), 'merged.html');
    await writeRunReports([html], m);
    const { page, errors, ready } = await open(pathToFileURL(html).href);
    await ready('[data-replicas]');
    expect(shown(await page.textContent('[data-summary="traces"] [data-col="sent"]'))).toBe(4800);
    expect(shown(await page.textContent('[data-summary="traces"] [data-col="rate /s"]'))).toBe(600);
    expect(shown(await page.textContent('[data-pipeline="traces"] [data-field="sent"] .value'))).toBe(4800);
    const rows = await page.$$eval('[data-replicas] tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-replica'), tr.querySelector('[data-col="sent"]')!.textContent]));
    expect(rows).toEqual([['0/3', '800'], ['1/3', '1,600'], ['2/3', '2,400']]);
    expect(await page.textContent('#run-meta')).toContain('3 replicas merged');
    expect(await page.locator('[data-pipeline="traces"] [data-chart="rate"] polyline').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
