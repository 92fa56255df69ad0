/**
 * `npm run bench`: every number the project reports, measured side by side in one run
 * (this machine is shared and noisy, so only ratios from one run mean much).
 *
 * 1. stamp-only throughput on one core vs a naive protobufjs decode/copy/encode per send;
 * 2. the raw transport ceiling (compiled frames sent as they are, no stamping) over gRPC
 *    and HTTP into the sink running in its own process;
 * 3. end to end: the daemon as a child process replaying the same template into that sink,
 *    also with gzip (stamped and zlib, with each side's CPU) against uncompressed, and with
 *    the live dashboard on and polled, against off (bench/dashboard.ts);
 * 4. peak RSS of the daemon over a longer run, sampled early and late;
 * 5. time to generate the seed tool's default dataset;
 * 6. record throughput and inspect speed on a ≥ 500 MB recording (bench/record.ts).
 *
 *   npm run bench [-- --seconds 10 --long 30] [-- --gzip-only]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGeneratorConfig } from '../src/generator/config.js';
import { writeDataset } from '../src/generator/writer.js';
import { packageRoot } from '../src/package-root.js';
import { cpuSeconds, rssMb, spawnJsonLines, type LogLine } from './child-process.js';
import { formatGzipLevels, runGzipLevels } from './gzip.js';
import { compareWithBaseline } from './baseline.js';
import { formatInspectBench, formatRecordBench, runInspectBench, runRecordBench } from './record.js';
import { formatDashboardCost, measureDashboardCost, measureDashboardWork } from './dashboard.js';
import { formatStampBench, runStampBench } from './stamp.js';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The bench's children write their errors straight to our stderr. */
const run = (args: string[]) => spawnJsonLines(args, { inheritStderr: true });

async function makeTemplate(dir: string, traces: number): Promise<string> {
  const problems: never[] = [];
  const cfg = parseGeneratorConfig(
    { seed: 7, output: { prefix: 'bench' }, traces: { count: traces, spans: { avg_per_trace: 15, std_dev: 5 }, services: { count: 12 } } },
    'bench',
    problems,
  );
  await writeDataset(cfg, { outDir: dir, json: false });
  return join(dir, 'bench-traces.pb');
}

/** `dashboard` set: /metrics on a free port, with the dashboard on or off; unset: no telemetry server. */
function daemonConfig(dir: string, name: string, template: string, exporter: string, seconds: number, rate?: number, dashboard?: boolean): string {
  const telemetry = dashboard === undefined ? 'metrics: { address: none }' : `dashboard: ${dashboard}, metrics: { address: 127.0.0.1:0 }`;
  const limit = rate ? ', ratelimit' : '';
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `
receivers:
  template/bench: { traces: ${template} }
processors:
  id_regen: {}
  timestamp: {}
  jitter: { max: 10ms }
  batch_splitter: { max_items: 1000000, max_bytes: 3MiB }
  ratelimit: { events_per_second: ${rate ?? 1} }
exporters:
  ${exporter}
service:
  duration: ${seconds}s
  telemetry: { stats_interval: 5s, ${telemetry} }
  pipelines:
    traces/bench: { receivers: [template/bench], processors: [id_regen, timestamp, jitter, batch_splitter${limit}], exporters: [${exporter.split(':')[0]}] }
`);
  return file;
}

interface E2E { spansPerSec: number; mbPerSec: number; failed: number; rss: { at: number; rss: number; hwm: number }[]; startedAt: number }

async function endToEnd(cfg: string, sampleAt: number[]): Promise<E2E> {
  const d = run([CLI, '--config', cfg]);
  const started = await d.waitFor((l) => l.msg === 'pipeline started', 30_000);
  const t0 = Date.now();
  const rss: E2E['rss'] = [];
  for (const at of sampleAt) {
    await new Promise((r) => setTimeout(r, Math.max(0, at * 1000 - (Date.now() - t0))));
    try {
      rss.push({ at, ...rssMb(d.child.pid!) });
    } catch {
      /* exited */
    }
  }
  await d.exited;
  const s = d.lines.find((l) => l.msg === 'summary')!;
  return { spansPerSec: Number(s.rate), mbPerSec: Number(s.mb_per_s), failed: Number(s.failed), rss, startedAt: Number(started.time) };
}

interface GzipE2E {
  spansPerSec: number;
  /** Request bytes per second before compression, and their ratio to the bytes on the wire. */
  uncompressedMbPerSec: number;
  ratio: number;
  failed: number;
  /** Cores each process used over the steady part of the run (from 1 s after start to 1 s before the end). */
  senderCores: number;
  sinkCores: number;
}

async function gzipEndToEnd(cfg: string, sinkPid: number, seconds: number): Promise<GzipE2E> {
  const d = run([CLI, '--config', cfg]);
  await d.waitFor((l) => l.msg === 'pipeline started', 60_000);
  const pid = d.child.pid!;
  await new Promise((r) => setTimeout(r, 1000));
  const from = { at: performance.now(), sender: cpuSeconds(pid), sink: cpuSeconds(sinkPid) };
  await new Promise((r) => setTimeout(r, Math.max(1000, (seconds - 2) * 1000)));
  const wall = (performance.now() - from.at) / 1000;
  const senderCores = (cpuSeconds(pid) - from.sender) / wall;
  const sinkCores = (cpuSeconds(sinkPid) - from.sink) / wall;
  await d.exited;
  const s = d.lines.find((l) => l.msg === 'summary')!;
  const uncompressed = Number(s.sent_uncompressed_bytes);
  return {
    spansPerSec: Number(s.rate), uncompressedMbPerSec: uncompressed / Number(s.duration_s) / 1e6, ratio: uncompressed / Number(s.sent_bytes),
    failed: Number(s.failed), senderCores, sinkCores,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * gzip end to end against uncompressed in the same run, per transport: stamped and zlib
 * at their default levels. The three runs of a transport are interleaved over `rounds`
 * and each gzip run is compared with the uncompressed run of its own round, so a slow
 * spell of this shared machine lands in one round, not in one mode; medians are reported.
 */
async function gzipRows(dir: string, template: string, seconds: number, grpcAddr: string, httpAddr: string, sinkPid: number, rounds: number): Promise<Record<string, GzipE2E & { vsNone: number }>> {
  const runs: Record<string, (GzipE2E & { vsNone: number })[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [kind, base] of [
      ['grpc', `otlp_grpc: { endpoint: ${grpcAddr}, tls: { insecure: true }, max_in_flight: 4`],
      ['http', `otlp_http: { endpoint: http://${httpAddr}, max_in_flight: 4`],
    ] as const) {
      let none = NaN;
      for (const [mode, extra] of [['none', ''], ['stamped', ', compression: gzip'], ['zlib', ', compression: gzip, compression_params: { stamped: false }']] as const) {
        const r = await gzipEndToEnd(daemonConfig(dir, `gzip-${kind}-${mode}`, template, `${base}${extra} }`, seconds), sinkPid, seconds);
        if (mode === 'none') none = r.spansPerSec;
        (runs[`${kind} ${mode}`] ??= []).push({ ...r, vsNone: r.spansPerSec / none });
      }
    }
  }
  const out: Record<string, GzipE2E & { vsNone: number }> = {};
  for (const [name, rs] of Object.entries(runs)) {
    const m = (f: (r: GzipE2E & { vsNone: number }) => number) => median(rs.map(f));
    out[name] = {
      spansPerSec: m((r) => r.spansPerSec), uncompressedMbPerSec: m((r) => r.uncompressedMbPerSec), ratio: m((r) => r.ratio),
      failed: rs.reduce((a, r) => a + r.failed, 0), senderCores: m((r) => r.senderCores), sinkCores: m((r) => r.sinkCores), vsNone: m((r) => r.vsNone),
    };
  }
  console.log(`\ngzip end to end into the sink (separate process), same template, default levels, medians of ${rounds} interleaved rounds; cores = CPU each process used:`);
  for (const [name, r] of Object.entries(out)) {
    const ms = (cores: number) => ((1000 * cores) / r.uncompressedMbPerSec).toFixed(1);
    console.log(
      `  ${name.padEnd(13)} ${(r.spansPerSec / 1e6).toFixed(2)}M spans/s ${r.uncompressedMbPerSec.toFixed(0).padStart(4)} MB/s before compression` +
        `  ${name.endsWith('none') ? '          ' : `= ${r.vsNone.toFixed(2)}× none`}  ratio ${r.ratio.toFixed(2)}` +
        `  CPU per MB: sender ${ms(r.senderCores)} ms, sink ${ms(r.sinkCores)} ms   failed ${r.failed}`,
    );
  }
  return out;
}

/** Events/s the sink saw between two of its 1 s stats lines inside [from, to]. */
function heldRate(lines: LogLine[], from: number, to: number): { rate: number; seconds: number } {
  const stats = lines.filter((l) => l.msg === 'sink stats' && Number(l.time) >= from && Number(l.time) <= to);
  const a = stats[0]!;
  const b = stats.at(-1)!;
  const events = (l: LogLine) => (l.traces as { events: number }).events;
  const seconds = (Number(b.time) - Number(a.time)) / 1000;
  return { rate: (events(b) - events(a)) / seconds, seconds };
}

async function ceiling(kind: 'grpc' | 'http', endpoint: string, template: string, seconds: number): Promise<{ eventsPerSec: number; mbPerSec: number }> {
  const p = run([join(ROOT, 'dist', 'bench', 'ceiling.js'), kind, endpoint, template, String(seconds), '4']);
  await p.exited;
  return p.lines.at(-1) as unknown as { eventsPerSec: number; mbPerSec: number };
}

async function recordAndInspect(dir: string, template: string, seconds: number, inspectMb: number, out: Record<string, unknown>): Promise<void> {
  const record = await runRecordBench(CLI, dir, template, seconds);
  console.log(`\n${formatRecordBench(record)}`);
  const inspect = await runInspectBench(CLI, dir, template, inspectMb);
  console.log(formatInspectBench(inspect));
  out.record = record;
  out.inspect = inspect;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' }, long: { type: 'string', default: '30' }, traces: { type: 'string', default: '8000' },
      // A built checkout to compare with, side by side (bench/baseline.ts); only that comparison runs.
      baseline: { type: 'string' },
      // Only the record and inspect measurements (item 6).
      'record-only': { type: 'boolean' },
      // Only the gzip measurements: per level in process, and end to end against uncompressed.
      'gzip-only': { type: 'boolean' },
      'gzip-rounds': { type: 'string', default: '3' },
      'inspect-mb': { type: 'string', default: '512' },
    },
  });
  const seconds = Number(values.seconds);
  const long = Number(values.long);
  const dir = mkdtempSync(join(tmpdir(), 'otel-replayd-bench-'));
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  try {
    const stamp = values.baseline ? undefined : runStampBench(2000);
    if (stamp) console.log(formatStampBench(stamp));
    out.stamp = stamp;

    const template = await makeTemplate(dir, Number(values.traces));
    const templateMb = statSync(template).size / 1e6;
    console.log(`\nbench template: ${template} (${templateMb.toFixed(1)} MB)`);
    if (values['record-only']) {
      await recordAndInspect(dir, template, seconds, Number(values['inspect-mb']), out);
      return;
    }

    if (!values.baseline) {
      const levels = await runGzipLevels(template);
      console.log(`\n${formatGzipLevels(levels)}`);
      out.gzipLevels = levels;
    }

    const sink = run([CLI, 'sink', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--interval', '1s']);
    const addr = await sink.waitFor((l) => l.msg === 'sink listening', 30_000);
    try {
      const grpcAddr = String(addr.grpc);
      const httpAddr = String(addr.http);
      if (values['gzip-only']) {
        out.gzip = await gzipRows(dir, template, seconds, grpcAddr, httpAddr, sink.child.pid!, Number(values['gzip-rounds']));
        return;
      }
      if (values.baseline) {
        const configs = {
          grpc: daemonConfig(dir, 'grpc', template, `otlp_grpc: { endpoint: ${grpcAddr}, tls: { insecure: true }, max_in_flight: 4 }`, seconds),
          http: daemonConfig(dir, 'http', template, `otlp_http: { endpoint: http://${httpAddr}, max_in_flight: 4 }`, seconds),
        };
        const report = await compareWithBaseline(ROOT, values.baseline, configs);
        console.log(report);
        out.baseline = report;
        return;
      }
      const rows: { transport: string; ceiling: { eventsPerSec: number; mbPerSec: number }; e2e: E2E }[] = [];
      for (const [kind, exporter] of [
        ['grpc', `otlp_grpc: { endpoint: ${grpcAddr}, tls: { insecure: true }, max_in_flight: 4 }`],
        ['http', `otlp_http: { endpoint: http://${httpAddr}, max_in_flight: 4 }`],
      ] as const) {
        // The ceiling is measured before and after the daemon's run and the better one
        // kept: on a shared machine one sample alone can land in a slow spell.
        const endpoint = kind === 'grpc' ? grpcAddr : httpAddr;
        const before = await ceiling(kind, endpoint, template, seconds);
        const e2e = await endToEnd(daemonConfig(dir, kind, template, exporter, seconds), [seconds - 1]);
        const after = await ceiling(kind, endpoint, template, seconds);
        rows.push({ transport: kind, ceiling: before.mbPerSec >= after.mbPerSec ? before : after, e2e });
      }
      console.log('\nend to end into the sink (separate process), same template:');
      for (const r of rows) {
        const pct = (100 * r.e2e.mbPerSec) / r.ceiling.mbPerSec;
        console.log(
          `  ${r.transport.padEnd(4)}  e2e ${(r.e2e.spansPerSec / 1e6).toFixed(2)}M spans/s ${r.e2e.mbPerSec.toFixed(0)} MB/s` +
            `   raw ceiling ${(r.ceiling.eventsPerSec / 1e6).toFixed(2)}M spans/s ${r.ceiling.mbPerSec.toFixed(0)} MB/s   = ${pct.toFixed(0)}% of ceiling` +
            `   failed ${r.e2e.failed}`,
        );
      }
      out.transports = rows;
      out.gzip = await gzipRows(dir, template, seconds, grpcAddr, httpAddr, sink.child.pid!, Number(values['gzip-rounds']));

      const grpcExporter = `otlp_grpc: { endpoint: ${grpcAddr}, tls: { insecure: true }, max_in_flight: 4 }`;
      const dashboard = await measureDashboardCost(CLI, {
        off: daemonConfig(dir, 'dashboard-off', template, grpcExporter, seconds, undefined, false),
        on: daemonConfig(dir, 'dashboard-on', template, grpcExporter, seconds, undefined, true),
      }, seconds);
      const dashboardWork = measureDashboardWork();
      console.log(formatDashboardCost(dashboard, dashboardWork));
      out.dashboard = { ...dashboard, work: dashboardWork };

      // The long run is rate limited at half what gRPC just reached, so the rate is
      // attainable and we can check it is held, measured at the sink.
      const target = Math.max(10_000, Math.round(rows[0]!.e2e.spansPerSec / 2 / 10_000) * 10_000);
      const longRun = await endToEnd(
        daemonConfig(dir, 'long', template, `otlp_grpc: { endpoint: ${grpcAddr}, tls: { insecure: true }, max_in_flight: 4 }`, long, target),
        [5, Math.round(long / 2), long - 1],
      );
      const held = heldRate(sink.lines, longRun.startedAt + 3000, longRun.startedAt + long * 1000 - 1000);
      console.log(`\nrate held over ${held.seconds.toFixed(1)}s at the sink: target ${target} spans/s, measured ${Math.round(held.rate)} (${(100 * (held.rate / target - 1)).toFixed(2)}%)`);
      out.rateHeld = { target, ...held };
      const budget = templateMb * 3 + 150;
      console.log(`\nRSS over a ${long}s gRPC run (budget template×3+150 = ${budget.toFixed(0)} MB):`);
      for (const s of longRun.rss) console.log(`  t=${s.at}s  rss ${s.rss.toFixed(0)} MB  peak ${s.hwm.toFixed(0)} MB`);
      out.rss = { budgetMb: budget, samples: longRun.rss, spansPerSec: longRun.spansPerSec };
    } finally {
      sink.child.kill('SIGTERM');
      await sink.exited;
    }

    const gen = run([join(ROOT, 'dist', 'bench', 'generate.js')]);
    await gen.exited;
    const genLine = gen.lines.map((l) => String(l.msg)).find((m) => m.startsWith('generate default dataset'));
    console.log(`\n${genLine}`);
    out.generate = genLine;

    await recordAndInspect(dir, template, seconds, Number(values['inspect-mb']), out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(join(ROOT, '.bench', 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nwritten .bench/results.json');
}

void main();
