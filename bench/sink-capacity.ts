/**
 * What the sink ingests when several senders push at once, for `npm run bench` (called
 * from bench/run.ts): N ceiling processes (bench/ceiling.ts: compiled frames, no
 * stamping) send into one sink over one transport; the rate is the sink's own count
 * between its 1 s stats lines inside the window every sender was measuring in. With
 * `--verify` the sink also says how much its verification thread checked.
 *
 * On a 2-core machine the sink and its senders share the CPUs, so the rate alone says
 * little about the sink: each run also reports the sink's CPU per MB and per span, and a
 * pinned run (the sink on CPU 0, every sender on CPU 1, with `taskset`) shows what one
 * core of sink takes from one core of senders.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { sampleCpu, spawnJsonLines, type CpuSampler, type LogLine } from './child-process.js';

export interface SinkCapacity {
  transport: 'grpc' | 'http';
  senders: number;
  /** Sink on CPU 0 and senders on CPU 1 (taskset), instead of everything on every CPU. */
  pinned: boolean;
  /** Events/s counted by the sink over `seconds` of its own stats lines. */
  eventsPerSec: number;
  seconds: number;
  /** Events counted per CPU second the sink used over the same window. */
  eventsPerCpuSec: number;
  /** CPU ms the sink used per MB (1e6 bytes) of request bodies it counted. */
  cpuMsPerMb: number;
  /** Cores the sink used over the window. */
  sinkCores: number;
}

interface CeilingLine { fromMs: number; toMs: number; failed: number }
interface TracesCounts { events: number; bytes: number }

/** Events/s a sink counted between the first and last of its stats lines inside [from, to]. */
export function sinkRate(lines: LogLine[], from: number, to: number): { rate: number; seconds: number; events: number; bytes: number; fromMs: number; toMs: number } {
  const stats = lines.filter((l) => l.msg === 'sink stats' && Number(l.time) >= from && Number(l.time) <= to);
  if (stats.length < 2) return { rate: NaN, seconds: 0, events: NaN, bytes: NaN, fromMs: from, toMs: to };
  const a = stats[0]!;
  const b = stats.at(-1)!;
  const traces = (l: LogLine) => l.traces as TracesCounts;
  const seconds = (Number(b.time) - Number(a.time)) / 1000;
  const events = traces(b).events - traces(a).events;
  return { rate: events / seconds, seconds, events, bytes: traces(b).bytes - traces(a).bytes, fromMs: Number(a.time), toMs: Number(b.time) };
}

/** Whether `taskset` (util-linux) can pin processes here: it exists and there are two CPUs or more. */
export function canPin(): boolean {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Sets the CPUs of every thread of a running process. */
function pin(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

export interface SinkUnderTest {
  pid: number;
  lines: LogLine[];
  cpu: CpuSampler;
}

/**
 * Runs `senders` ceiling processes at once against `endpoint` of `sink`. `pinned`: the
 * sink runs on CPU 0 and the senders on CPU 1 for this measurement (the sink gets every
 * CPU back after).
 */
export async function measureSinkCapacity(
  root: string, transport: 'grpc' | 'http', endpoint: string, template: string, seconds: number, senders: number, sink: SinkUnderTest, pinned = false,
): Promise<SinkCapacity> {
  const sender = [join(root, 'dist', 'bench', 'ceiling.js'), transport, endpoint, template, String(seconds), '4'];
  if (pinned) pin(sink.pid, '0');
  try {
    const procs = Array.from({ length: senders }, () =>
      spawnJsonLines(pinned ? ['-e', PINNED_SENDER, ...sender] : sender, { inheritStderr: true }));
    await Promise.all(procs.map((p) => p.exited));
    const windows = procs.map((p) => p.lines.at(-1) as unknown as CeilingLine);
    if (windows.some((w) => !w || w.failed > 0)) throw new Error(`a ${transport} sender failed: ${JSON.stringify(windows)}`);
    const from = Math.max(...windows.map((w) => w.fromMs));
    const to = Math.min(...windows.map((w) => w.toMs));
    const r = sinkRate(sink.lines, from, to);
    const cpuSeconds = sink.cpu.between(r.fromMs, r.toMs);
    return {
      transport, senders, pinned, eventsPerSec: r.rate, seconds: r.seconds, eventsPerCpuSec: r.events / cpuSeconds,
      cpuMsPerMb: (1000 * cpuSeconds) / (r.bytes / 1e6), sinkCores: cpuSeconds / r.seconds,
    };
  } finally {
    if (pinned) pin(sink.pid, `0-${cpus().length - 1}`);
  }
}

/**
 * `node -e PINNED_SENDER script args…`: moves every thread of this process to CPU 1 (threads
 * started later inherit it), then runs the script, which sees the argv it would have.
 */
const PINNED_SENDER = `
require('node:child_process').execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
import(require('node:url').pathToFileURL(process.argv[1]).href);
`;

/** One line per capacity run, against what one daemon sent end to end (spans/s and spans per CPU second). */
export function formatSinkCapacity(c: SinkCapacity, daemon: { spansPerSec: number; spansPerCpuSec: number }): string {
  const where = c.pinned ? 'pinned: sink on CPU 0, senders on CPU 1' : 'unpinned';
  return `  ${c.transport.padEnd(4)}  ${where.padEnd(40)} ${(c.eventsPerSec / 1e6).toFixed(2)}M spans/s over ${c.seconds.toFixed(0)} s`
    + ` = ${(c.eventsPerSec / daemon.spansPerSec).toFixed(2)}× the daemon's e2e; sink ${c.sinkCores.toFixed(2)} cores, ${c.cpuMsPerMb.toFixed(2)} ms CPU per MB;`
    + ` per CPU second: sink ${(c.eventsPerCpuSec / 1e6).toFixed(2)}M spans, daemon ${(daemon.spansPerCpuSec / 1e6).toFixed(2)}M = ${(c.eventsPerCpuSec / daemon.spansPerCpuSec).toFixed(2)}×`;
}

export interface SinkProcess extends SinkUnderTest {
  /** Which build it runs: `this checkout` or a baseline's directory. */
  label: string;
  grpc: string;
  http: string;
  stop(): Promise<void>;
}

/** Starts `node <cli> sink` on both transports (free ports, stats every second) and samples its CPU. */
export async function startSinkProcess(cli: string, label: string): Promise<SinkProcess> {
  const p = spawnJsonLines([cli, 'sink', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--interval', '1s'], { inheritStderr: true });
  const addr = await p.waitFor((l) => l.msg === 'sink listening', 30_000);
  const cpu = sampleCpu(p.child.pid!);
  return {
    label, pid: p.child.pid!, lines: p.lines, cpu, grpc: String(addr.grpc), http: String(addr.http),
    stop: async () => {
      cpu.stop();
      p.child.kill('SIGTERM');
      await p.exited;
    },
  };
}

/**
 * The sink section: for each transport, `senders` ceiling senders into each sink in turn
 * (this checkout's and, side by side, a baseline's), unpinned and, where taskset can,
 * pinned; each line against what one daemon sent end to end over that transport.
 */
export async function runSinkCapacity(
  root: string, template: string, seconds: number, senders: number, sinks: SinkProcess[], daemon: Record<'grpc' | 'http', { spansPerSec: number; spansPerCpuSec: number }>,
): Promise<(SinkCapacity & { sink: string })[]> {
  const pinnings = canPin() ? [false, true] : [false];
  if (pinnings.length === 1) console.log('  (no pinned runs: taskset is missing or there is one CPU)');
  const out = [];
  for (const transport of ['grpc', 'http'] as const) {
    for (const pinned of pinnings) {
      for (const sink of sinks) {
        const c = await measureSinkCapacity(root, transport, transport === 'grpc' ? sink.grpc : sink.http, template, seconds, senders, sink, pinned);
        out.push({ ...c, sink: sink.label });
        console.log(`${formatSinkCapacity(c, daemon[transport])}${sinks.length > 1 ? `   [${sink.label}]` : ''}`);
      }
    }
  }
  return out;
}
