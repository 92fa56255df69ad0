/**
 * What the sink ingests when several senders push at once, for `npm run bench` (called
 * from bench/run.ts): N ceiling processes (bench/ceiling.ts: compiled frames, no
 * stamping) send into one sink over one transport; the rate is the sink's own count
 * between its 1 s stats lines inside the window every sender was measuring in. With
 * `--verify` the sink also says how much its verification thread checked.
 */
import { join } from 'node:path';
import { spawnJsonLines, type CpuSampler, type LogLine } from './child-process.js';

export interface SinkCapacity {
  transport: 'grpc' | 'http';
  senders: number;
  /** Events/s counted by the sink over `seconds` of its own stats lines. */
  eventsPerSec: number;
  seconds: number;
  /** Events counted per CPU second the sink used over the same window. */
  eventsPerCpuSec: number;
}

interface CeilingLine { fromMs: number; toMs: number; failed: number }

/** Events/s a sink counted between the first and last of its stats lines inside [from, to]. */
export function sinkRate(lines: LogLine[], from: number, to: number): { rate: number; seconds: number; events: number; fromMs: number; toMs: number } {
  const stats = lines.filter((l) => l.msg === 'sink stats' && Number(l.time) >= from && Number(l.time) <= to);
  if (stats.length < 2) return { rate: NaN, seconds: 0, events: NaN, fromMs: from, toMs: to };
  const a = stats[0]!;
  const b = stats.at(-1)!;
  const count = (l: LogLine) => (l.traces as { events: number }).events;
  const seconds = (Number(b.time) - Number(a.time)) / 1000;
  const events = count(b) - count(a);
  return { rate: events / seconds, seconds, events, fromMs: Number(a.time), toMs: Number(b.time) };
}

/** Runs `senders` ceiling processes at once against `endpoint`; the sink's stats lines are `sinkLines`, its CPU `sinkCpu`. */
export async function measureSinkCapacity(
  root: string, transport: 'grpc' | 'http', endpoint: string, template: string, seconds: number, senders: number, sinkLines: LogLine[], sinkCpu: CpuSampler,
): Promise<SinkCapacity> {
  const procs = Array.from({ length: senders }, () =>
    spawnJsonLines([join(root, 'dist', 'bench', 'ceiling.js'), transport, endpoint, template, String(seconds), '4'], { inheritStderr: true }));
  await Promise.all(procs.map((p) => p.exited));
  const windows = procs.map((p) => p.lines.at(-1) as unknown as CeilingLine);
  if (windows.some((w) => !w || w.failed > 0)) throw new Error(`a ${transport} sender failed: ${JSON.stringify(windows)}`);
  const from = Math.max(...windows.map((w) => w.fromMs));
  const to = Math.min(...windows.map((w) => w.toMs));
  const r = sinkRate(sinkLines, from, to);
  return { transport, senders, eventsPerSec: r.rate, seconds: r.seconds, eventsPerCpuSec: r.events / sinkCpu.between(r.fromMs, r.toMs) };
}
