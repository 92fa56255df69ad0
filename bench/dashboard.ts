/**
 * What serving the live dashboard costs: the daemon end to end with the dashboard off and
 * with it on while a reader polls it as the page does (the page once, then api/run with its
 * cursor every second), in interleaved rounds so drift in the machine's load hits both.
 * The reader is this process, not a browser: a person's browser runs on their own machine,
 * and one rendering here would compete with the daemon for the same two cores.
 *
 * Two measures side by side: end-to-end throughput (the summary's rate), and the daemon's
 * CPU time (all its threads, from /proc) per span sent over the same window. On a shared
 * machine the first swings with whatever else runs; the second barely does, and for a
 * daemon that is CPU bound it is what throughput turns into.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Dashboard } from '../src/telemetry/dashboard.js';
import type { RunData } from '../src/telemetry/run-data.js';
import { RunRecorder } from '../src/telemetry/run-recorder.js';
import type { PipelineSnapshot, TelemetrySource } from '../src/telemetry/source.js';
import { emptyCounters } from '../src/worker/stats.js';
import { spawnJsonLines, median } from './child-process.js';

export interface DashboardRun {
  /** End-to-end events/s (the summary's rate). */
  rate: number;
  /** Daemon CPU µs per 1000 events sent, from 2 s after start to 1 s before the end. */
  cpuUsPerKEvent: number;
  /** Polls answered (dashboard on; about one per second). */
  polls: number;
}

export interface DashboardCost {
  rounds: number;
  off: DashboardRun[];
  on: DashboardRun[];
  /** median(on) / median(off) − 1 of the throughput; negative = no measurable cost. */
  throughputCost: number;
  /** median(on) / median(off) − 1 of the CPU per event. */
  cpuCost: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of every thread of `pid`, in µs. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function sentSpans(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^otel_replayd_sent_events_total\{[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  return n;
}

/** Polls like the page does until `stop` resolves; resolves with the number of answers. */
async function pollLikeThePage(base: string, stop: Promise<unknown>): Promise<number> {
  let done = false;
  void stop.then(() => (done = true));
  let polls = 0;
  let held: RunData | undefined;
  try {
    await (await fetch(`${base}/`)).text();
    while (!done) {
      const started = Date.now();
      const res = await fetch(`${base}/api/run${held ? `?epoch=${held.epoch}&seq=${held.seq}` : ''}`);
      held = (await res.json()) as RunData;
      polls++;
      await sleep(Math.max(100, 1000 - (Date.now() - started)));
    }
  } catch {
    /* the daemon stopped serving */
  }
  return polls;
}

async function run(cli: string, config: string, seconds: number, poll: boolean): Promise<DashboardRun> {
  const d = spawnJsonLines([cli, '--config', config], { inheritStderr: true });
  const listening = await d.waitFor((l) => l.msg === 'metrics and health endpoint listening', 30_000);
  const base = `http://${String(listening.address)}`;
  const polls = poll ? pollLikeThePage(base, d.exited) : Promise.resolve(0);
  await d.waitFor((l) => l.msg === 'pipeline started', 60_000);
  const pid = d.child.pid!;
  await sleep(2000);
  const [cpu0, sent0] = [cpuUs(pid), await sentSpans(base)];
  await sleep((seconds - 3) * 1000);
  const [cpu1, sent1] = [cpuUs(pid), await sentSpans(base)];
  await d.exited;
  const s = d.lines.find((l) => l.msg === 'summary');
  if (!s) throw new Error(`${config}: no summary`);
  return { rate: Number(s.rate), cpuUsPerKEvent: ((cpu1 - cpu0) / (sent1 - sent0)) * 1000, polls: await polls };
}

/** `off` and `on` are daemon configs that differ only in service.telemetry.dashboard; both serve /metrics. */
export async function measureDashboardCost(cli: string, configs: { off: string; on: string }, seconds: number, rounds = 5): Promise<DashboardCost> {
  if (seconds < 5) throw new RangeError('the dashboard bench needs runs of at least 5 s');
  const out: DashboardCost = { rounds, off: [], on: [], throughputCost: 0, cpuCost: 0 };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const which of order) out[which].push(await run(cli, configs[which], seconds, which === 'on'));
  }
  const m = (runs: DashboardRun[], f: (r: DashboardRun) => number) => median(runs.map(f));
  out.throughputCost = m(out.on, (r) => r.rate) / m(out.off, (r) => r.rate) - 1;
  out.cpuCost = m(out.on, (r) => r.cpuUsPerKEvent) / m(out.off, (r) => r.cpuUsPerKEvent) - 1;
  return out;
}

export interface DashboardWork {
  pipelines: number;
  /** Main-thread µs for one second of a run: one sample plus one poll of the page (with its cursor). */
  usPerSecond: number;
  /** Main-thread µs of a first poll that returns every point (a page opened late in a long run). */
  usFullPoll: number;
}

/**
 * The dashboard's own work on the daemon's main thread, in process and without the rest
 * of the daemon: a recorder on a source of `pipelines` pipelines sampled once a simulated
 * second for `seconds` (so the series fill and get halved), each second answered to a
 * polling page. Divided by a second, it is the share of one core the dashboard takes.
 */
export function measureDashboardWork(pipelines = 3, seconds = 3000): DashboardWork {
  let t = 0;
  const snaps: PipelineSnapshot[] = Array.from({ length: pipelines }, (_, i) => ({
    pipeline: `traces/p${i}`, signal: 'traces', workers: 2, state: 'running', rateTarget: 100_000, cycles: 0, sendingMs: 0,
    exporters: { otlp_grpc: emptyCounters() }, stage: null, origin: null, latency: {}, capacity: null,
  }));
  const source: TelemetrySource = {
    snapshot: () => snaps.map((s) => structuredClone(s)),
    health: () => 'running',
    reloads: () => ({ succeeded: 0, failed: 0 }),
  };
  const recorder = new RunRecorder({ source, log: pino({ level: 'silent' }), runId: 'bench', version: '0', clock: () => t });
  const dashboard = new Dashboard(recorder);
  let cursor = new URLSearchParams();
  let spent = 0;
  for (let s = 1; s <= seconds; s++) {
    t = s * 1000;
    for (const snap of snaps) {
      snap.sendingMs = s * 1000;
      snap.exporters.otlp_grpc!.sentEvents += 100_000;
      snap.exporters.otlp_grpc!.sentBytes += 35e6;
    }
    const start = performance.now();
    recorder.sample();
    const body = dashboard.reply('/api/run', cursor)!.body;
    spent += performance.now() - start;
    const d = JSON.parse(body) as RunData;
    cursor = new URLSearchParams({ epoch: String(d.epoch), seq: String(d.seq) });
  }
  const start = performance.now();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) dashboard.reply('/api/run', new URLSearchParams());
  return { pipelines, usPerSecond: (spent / seconds) * 1000, usFullPoll: ((performance.now() - start) / rounds) * 1000 };
}

export function formatDashboardCost(c: DashboardCost, work: DashboardWork): string {
  const rate = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  const cpu = (n: number) => `${n.toFixed(0)}`;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
  const med = (runs: DashboardRun[], f: (r: DashboardRun) => number) => median(runs.map(f));
  return [
    `\nlive dashboard, end to end over gRPC, off vs on and polled every second (medians of ${c.rounds} interleaved rounds):`,
    `  throughput   off ${rate(med(c.off, (r) => r.rate))} spans/s   on ${rate(med(c.on, (r) => r.rate))} spans/s   ${pct(c.throughputCost)}` +
      `   (runs off: ${c.off.map((r) => rate(r.rate)).join(' ')}; on: ${c.on.map((r) => rate(r.rate)).join(' ')})`,
    `  daemon CPU   off ${cpu(med(c.off, (r) => r.cpuUsPerKEvent))} µs   on ${cpu(med(c.on, (r) => r.cpuUsPerKEvent))} µs per 1000 spans   ${pct(c.cpuCost)}` +
      `   (${med(c.on, (r) => r.polls)} polls a run)`,
    `  its own work on the main thread (${work.pipelines} pipelines, in process): ${work.usPerSecond.toFixed(0)} µs per second of run` +
      ` (sample + one poll) = ${(work.usPerSecond / 1e4).toFixed(3)}% of one core; a first poll of a long run's every point ${(work.usFullPoll / 1000).toFixed(1)} ms`,
  ].join('\n');
}
