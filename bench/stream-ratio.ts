/**
 * `npm run bench -- --stream-ratio`: is replaying from the frame file as fast end to end
 * as replaying from memory (goal: ≥ 90 %)? One template that fits in memory (default
 * 100 MB), replayed by the daemon into the sink over HTTP in alternating rounds, in memory
 * and streamed, the order swapped every round so a drift in the machine's load falls on
 * both alike. The frame file is built (and the page cache filled) by one streamed run
 * first, which is not counted. Each rate is the daemon's summary over its own sending
 * window; reported: every pair, the medians and the median of the pairs' ratios. The send
 * loop alone (ready + stamp, no network) is measured the same way in this process.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './child-process.js';
import { config, makeTemplate, runOnce, stampLoopRatio } from './large.js';

export interface StreamRatio {
  templateMb: number;
  seconds: number;
  /** Spans per second, per round, from the daemon's summary. */
  memory: number[];
  streamed: number[];
  /** Streamed / in memory, per round. */
  ratios: number[];
  /** The send loop alone, per round: MB/s, and MB per CPU second. */
  loop: { memory: number[]; streamed: number[]; memoryPerCpu: number[]; streamedPerCpu: number[] };
}

export async function runStreamRatio(cli: string, dir: string, mb: number, seconds: number, rounds: number, endpoint: string): Promise<StreamRatio> {
  const template = await makeTemplate(dir, mb);
  const templateMb = statSync(template).size / 1e6;
  const out: StreamRatio = { templateMb, seconds, memory: [], streamed: [], ratios: [], loop: { memory: [], streamed: [], memoryPerCpu: [], streamedPerCpu: [] } };
  try {
    const warm = await runOnce(cli, config(dir, template, true, endpoint, 2));
    // After the warm-up: config() names its file by mode, so the warm-up's would replace the streamed runs'.
    const memoryCfg = config(dir, template, false, endpoint, seconds);
    const streamCfg = config(dir, template, true, endpoint, seconds);
    console.log(`  ${templateMb.toFixed(0)} MB template; frame file built in ${((warm.compileMs ?? 0) / 1000).toFixed(1)} s (${(warm.frameFileMb ?? 0).toFixed(0)} MB); ${rounds} rounds of ${seconds} s each way`);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['memory', 'streamed'] as const) : (['streamed', 'memory'] as const);
      const got: Record<'memory' | 'streamed', number> = { memory: 0, streamed: 0 };
      for (const mode of order) {
        const run = await runOnce(cli, mode === 'memory' ? memoryCfg : streamCfg);
        if (run.failed > 0) throw new Error(`${mode} run failed ${run.failed} requests`);
        got[mode] = run.spansPerSec;
      }
      out.memory.push(got.memory);
      out.streamed.push(got.streamed);
      out.ratios.push(got.streamed / got.memory);
      // Its own cache folder: its frame file is keyed by other options than the daemon's.
      const loop = await stampLoopRatio(template, join(dir, 'loop-cache'));
      out.loop.memory.push(loop.memoryMbPerSec);
      out.loop.streamed.push(loop.streamedMbPerSec);
      out.loop.memoryPerCpu.push(loop.memoryMbPerCpuSec);
      out.loop.streamedPerCpu.push(loop.streamedMbPerCpuSec);
      console.log(`  round ${r + 1} (${order.join(' first, ')} second): in memory ${(got.memory / 1e6).toFixed(3)}M spans/s, streamed ${(got.streamed / 1e6).toFixed(3)}M = ${(100 * got.streamed / got.memory).toFixed(0)}%;` +
        ` send loop alone ${loop.memoryMbPerSec.toFixed(0)} vs ${loop.streamedMbPerSec.toFixed(0)} MB/s = ${(100 * loop.streamedMbPerSec / loop.memoryMbPerSec).toFixed(0)}%,` +
        ` per CPU second ${loop.memoryMbPerCpuSec.toFixed(0)} vs ${loop.streamedMbPerCpuSec.toFixed(0)} MB = ${(100 * loop.streamedMbPerCpuSec / loop.memoryMbPerCpuSec).toFixed(0)}%`);
    }
  } finally {
    rmSync(template, { force: true });
    for (const d of ['cache', 'loop-cache']) rmSync(join(dir, d), { recursive: true, force: true });
  }
  return out;
}

export function formatStreamRounds(s: StreamRatio): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const loop = s.loop.streamed.map((v, k) => v / s.loop.memory[k]!);
  const perCpu = s.loop.streamedPerCpu.map((v, k) => v / s.loop.memoryPerCpu[k]!);
  return `  ${s.templateMb.toFixed(0)} MB, medians of ${s.ratios.length} interleaved rounds of ${s.seconds} s: in memory ${(median(s.memory) / 1e6).toFixed(3)}M spans/s, ` +
    `streamed ${(median(s.streamed) / 1e6).toFixed(3)}M; streamed / in memory per round ${s.ratios.map(pct).join(', ')}, median ${pct(median(s.ratios))} (target ≥ 90%)\n` +
    `  send loop alone (ready + stamp, no network): in memory ${median(s.loop.memory).toFixed(0)} MB/s, streamed ${median(s.loop.streamed).toFixed(0)} MB/s, per round ${loop.map(pct).join(', ')}, median ${pct(median(loop))};` +
    ` per CPU second ${median(s.loop.memoryPerCpu).toFixed(0)} vs ${median(s.loop.streamedPerCpu).toFixed(0)} MB, per round ${perCpu.map(pct).join(', ')}, median ${pct(median(perCpu))}`;
}
