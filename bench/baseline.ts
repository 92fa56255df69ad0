/**
 * `npm run bench -- --baseline DIR`: the same stamp-only, load-and-compile (in this
 * process, each build's own modules) and end-to-end measurements for this build and for
 * another built checkout (DIR, e.g. a git worktree of the previous release after
 * `npm ci && npm run build`), interleaved in one run so the ratio means something on a
 * shared machine. Reports medians and this/baseline ratios.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnJsonLines, median } from './child-process.js';
import { runStampBench, type StampBenchResult } from './stamp.js';
import { type CompileModules, type CompileTimes, loadAndCompile } from './startup.js';

interface Side { stamp: number[]; compile: CompileTimes[]; e2e: Record<string, number[]> }


async function e2eRate(cli: string, config: string): Promise<number> {
  const d = spawnJsonLines([cli, '--config', config], { inheritStderr: true });
  await d.exited;
  const s = d.lines.find((l) => l.msg === 'summary');
  if (!s) throw new Error(`${cli} printed no summary`);
  return Number(s.rate);
}

/**
 * `configs` maps a transport name to a daemon config both builds accept. Rounds
 * alternate which build goes first, so drift in the machine's load hits both alike.
 */
export async function compareWithBaseline(root: string, baseline: string, template: string, configs: Record<string, string>, rounds = 5): Promise<string> {
  const built = (path: string) => import(pathToFileURL(join(baseline, 'dist', path)).href);
  const theirs = (await built('bench/stamp.js')) as { runStampBench(ms: number): StampBenchResult };
  const theirCompile: CompileModules = { loadTemplate: (await built('src/receivers/template.js')).loadTemplate, compile: (await built('src/compile/compile.js')).compile };
  const sides: Record<'this' | 'baseline', Side> = { this: { stamp: [], compile: [], e2e: {} }, baseline: { stamp: [], compile: [], e2e: {} } };
  const clis = { this: join(root, 'dist', 'src', 'cli', 'main.js'), baseline: join(baseline, 'dist', 'src', 'cli', 'main.js') };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['this', 'baseline'] as const) : (['baseline', 'this'] as const);
    for (const who of order) sides[who].stamp.push((who === 'this' ? runStampBench(1500) : theirs.runStampBench(1500)).stampSpansPerSec);
    for (const who of order) sides[who].compile.push(await loadAndCompile(template, who === 'this' ? undefined : theirCompile));
    for (const [name, config] of Object.entries(configs)) {
      for (const who of order) (sides[who].e2e[name] ??= []).push(await e2eRate(clis[who], config));
    }
  }
  const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  const row = (what: string, a: number[], b: number[]) =>
    `  ${what.padEnd(12)} this ${m(median(a))} spans/s   baseline ${m(median(b))} spans/s   ratio ${(median(a) / median(b)).toFixed(3)}`;
  const lines = [`\nthis build vs baseline ${baseline} (medians of ${rounds} interleaved rounds):`];
  lines.push(row('stamp only', sides.this.stamp, sides.baseline.stamp));
  const mb = statSync(template).size / 1e6;
  for (const [what, k] of [['load', 'load'], ['load (cpu)', 'loadCpu'], ['compile', 'compile'], ['compile (cpu)', 'compileCpu']] as const) {
    const a = median(sides.this.compile.map((t) => t[k])), b = median(sides.baseline.compile.map((t) => t[k]));
    lines.push(`  ${what.padEnd(13)} this ${(mb / (a / 1000)).toFixed(0)} MB/s   baseline ${(mb / (b / 1000)).toFixed(0)} MB/s   ratio ${(b / a).toFixed(3)}`);
  }
  for (const name of Object.keys(configs)) lines.push(row(`e2e ${name}`, sides.this.e2e[name]!, sides.baseline.e2e[name]!));
  return lines.join('\n');
}
