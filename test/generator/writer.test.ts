import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signalGroups, writeDataset } from '../../src/generator/writer.js';
import { requestType } from '../../src/otlp/proto.js';
import { loadTemplate } from '../../src/receivers/template.js';
import { decodeTemplate, type TemplateData } from '../../src/receivers/template-data.js';
import { validConfig } from './fixture.js';

/** Loaded templates are wire bytes: decode them to look at them as objects. */
const decoded = (d: TemplateData): any => decodeTemplate(d.signal, d.bytes!);

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'replayd-gen-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(extra: Record<string, unknown> = {}) {
  return validConfig(
    {
      seed: 77,
      output: { prefix: 'demo' },
      traces: { count: 200, spans: { avg_per_trace: 12, std_dev: 4 }, custom_attributes: { count: 3 } },
      metrics: { metric_count: 30, timeseries_per_metric: { min: 5, max: 15, default: 10 } },
      logs: { count: 1500, correlate: true },
      ...extra,
    },
  );
}

describe('writeDataset', () => {
  const dirA = tmp();
  let result: Awaited<ReturnType<typeof writeDataset>>;
  beforeAll(async () => {
    result = await writeDataset(config(), { outDir: dirA, json: true });
  });

  it('writes .pb, .json and metadata files', () => {
    expect(readdirSync(dirA).sort()).toEqual(
      ['demo-logs.json', 'demo-logs.pb', 'demo-metadata.yaml', 'demo-metrics.json', 'demo-metrics.pb', 'demo-traces.json', 'demo-traces.pb'],
    );
    expect(result.files).toHaveLength(7);
  });

  it('is byte-identical for the same config and seed, on one thread or in worker threads, and differs for another seed', async () => {
    const dirB = tmp();
    await writeDataset(config(), { outDir: dirB, json: true, threads: 1 });
    for (const f of readdirSync(dirA)) expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
    const dirW = tmp();
    await writeDataset(config(), { outDir: dirW, json: false, threads: 2 });
    for (const f of readdirSync(dirW)) if (f.endsWith('.pb')) expect(readFileSync(join(dirW, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
    const dirC = tmp();
    await writeDataset(config({ seed: 78 }), { outDir: dirC, json: false });
    expect(readFileSync(join(dirC, 'demo-traces.pb')).equals(readFileSync(join(dirA, 'demo-traces.pb')))).toBe(false);
  });

  it('writes valid Export*ServiceRequests whose counts match the metadata', () => {
    const meta = parse(readFileSync(join(dirA, 'demo-metadata.yaml'), 'utf8'));
    const traces = requestType('traces').decode(readFileSync(join(dirA, 'demo-traces.pb'))) as any;
    const spans = traces.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    expect(spans).toHaveLength(meta.counts.spans);
    expect(new Set(spans.map((s: any) => Buffer.from(s.traceId).toString('hex'))).size).toBe(200);
    const logs = requestType('logs').decode(readFileSync(join(dirA, 'demo-logs.pb'))) as any;
    expect(logs.resourceLogs.reduce((a: number, rl: any) => a + rl.scopeLogs[0].logRecords.length, 0)).toBe(1500);
    expect(meta.counts).toMatchObject({ traces: 200, log_records: 1500 });
    expect(meta.counts.data_points).toBeGreaterThanOrEqual(150);
    expect(meta.seed).toBe(77);
    expect(meta.files.traces.bytes).toBe(readFileSync(join(dirA, 'demo-traces.pb')).length);
    expect(meta.sender_memory.bytes).toBeGreaterThan(meta.files.traces.bytes);
    expect(meta.config.traces.count).toBe(200);
  });

  it('replays through the template receiver: .pb and JSON lines load with relative times', async () => {
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const pb = await loadTemplate(join(dirA, `demo-${signal}.pb`), signal);
      const json = await loadTemplate(join(dirA, `demo-${signal}.json`), signal);
      const key = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' }[signal];
      expect(decoded(json)[key].length).toBe(decoded(pb)[key].length);
    }
    const t = await loadTemplate(join(dirA, 'demo-traces.pb'), 'traces');
    const span = decoded(t).resourceSpans[0].scopeSpans[0].spans[0];
    expect(typeof span.startTimeUnixNano).toBe('number');
    expect(span.endTimeUnixNano).toBeGreaterThan(span.startTimeUnixNano);
  });

  it('refuses a dataset above max_size before writing anything, naming the estimate', async () => {
    const dir = join(tmp(), 'out');
    const big = config({ max_size: '1MB', traces: { count: 100_000 } });
    await expect(writeDataset(big, { outDir: dir, json: false })).rejects.toThrow(/about \d+(\.\d+)? (MB|GB) \(1500000 spans.*above max_size 1 MB/);
    expect(existsSync(dir)).toBe(false);
  });

  it('names sizes in a unit that fits them, not "0.0 MB"', async () => {
    const small = config({ max_size: '100', traces: { count: 20 }, metrics: undefined, logs: undefined });
    await expect(writeDataset(small, { outDir: tmp(), json: false })).rejects.toThrow(/about \d+(\.\d+)? kB \(\d+ spans.*above max_size 100 bytes;/);
  });

  it('fails at once on an output folder that cannot be made', async () => {
    for (const outDir of ['/proc/replayd-nope/out', '/dev/null/out']) {
      const t0 = performance.now();
      await expect(writeDataset(config(), { outDir, json: false })).rejects.toMatchObject({ code: 'ERR_OUTPUT_WRITE', message: expect.stringContaining(`cannot create the output folder ${outDir}`) });
      expect(performance.now() - t0, outDir).toBeLessThan(2000);
    }
  }, 10_000);

  it.each([1, 2])('replaces a symlink at an output path, leaving its target alone (threads %i)', async (threads) => {
    const dir = tmp();
    const target = join(tmp(), 'precious.txt');
    writeFileSync(target, 'precious');
    for (const name of ['demo-traces.pb', 'demo-logs.json', 'demo-metadata.yaml']) symlinkSync(target, join(dir, name));
    await writeDataset(config(), { outDir: dir, json: true, threads });
    expect(readFileSync(target, 'utf8')).toBe('precious');
    for (const name of ['demo-traces.pb', 'demo-logs.json', 'demo-metadata.yaml']) expect(lstatSync(join(dir, name)).isFile(), name).toBe(true);
    // Nothing half-written or temporary is left beside the files.
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('draws a progress bar only when given a stream, also from worker threads', async () => {
    for (const threads of [1, 2]) {
      const out: string[] = [];
      await writeDataset(config({ traces: { count: 5000, spans: { avg_per_trace: 4, std_dev: 1 } }, logs: { count: 55_000 } }), { outDir: tmp(), json: false, threads, progress: { write: (s: string) => out.push(s) } });
      const shown = out.join('').match(/\d+%/g)!;
      expect(shown.length, `threads ${threads}`).toBeGreaterThan(2);
      expect(shown.at(-1)).toBe('100%');
    }
  });

  it('rejects a thread count that is not a positive integer', async () => {
    for (const threads of [0, 1.5, Number.NaN]) {
      await expect(writeDataset(config(), { outDir: tmp(), json: false, threads })).rejects.toThrow(/threads must be a positive integer/);
    }
  });

  it('splits signals into two groups of similar cost; correlated logs stay with their traces', () => {
    expect(signalGroups(config(), 2)).toEqual([['traces', 'logs'], ['metrics']]);
    expect(signalGroups(config({ logs: { count: 10 } }), 2)).toEqual([['traces'], ['metrics', 'logs']]);
    expect(signalGroups(config(), 1)).toEqual([['traces', 'metrics', 'logs']]);
    expect(signalGroups(config({ traces: undefined, metrics: undefined }), 2)).toEqual([['logs']]);
  });

  it('reports a write failure in a worker thread as a rejection naming the cause', async () => {
    const dir = tmp();
    // A directory where the .pb file should go makes openSync fail inside the worker.
    mkdirSync(join(dir, 'demo-metrics.pb'));
    await expect(writeDataset(config(), { outDir: dir, json: false, threads: 2 })).rejects.toThrow(/EISDIR|illegal operation on a directory/);
  });
});
