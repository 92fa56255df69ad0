/**
 * Time to generate the seed tool's default dataset (10k traces × ~15 spans, 2,000
 * metrics × 300 series, 50k logs) to .pb files in a temp folder. The seed tool
 * reports about 1 s in Go.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/generate.js [--threads N] [--keep]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ConfigProblem } from '../src/errors.js';
import { parseGeneratorConfig } from '../src/generator/config.js';
import { writeDataset } from '../src/generator/writer.js';
import { otlpRoot } from '../src/otlp/proto.js';

const problems: ConfigProblem[] = [];
const cfg = parseGeneratorConfig(
  {
    seed: 42,
    traces: { count: 10_000, spans: { avg_per_trace: 15, std_dev: 5 }, services: { count: 5 }, custom_attributes: { count: 10 } },
    metrics: { metric_count: 2000, timeseries_per_metric: { min: 100, max: 500, default: 300 } },
    logs: { count: 50_000 },
  },
  '',
  problems,
);
if (problems.length > 0) throw new Error(JSON.stringify(problems));

const t = process.argv.indexOf('--threads');
const threads = t > 0 ? Number(process.argv[t + 1]) : undefined;
otlpRoot(); // loading the .proto files is start-up, not generation
const dir = mkdtempSync(join(tmpdir(), 'replayd-bench-gen-'));
try {
  const runs: number[] = [];
  let meta: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    meta = (await writeDataset(cfg, { outDir: dir, json: false, threads })).metadata;
    runs.push(performance.now() - t0);
  }
  const files = meta.files as Record<string, { bytes: number }>;
  console.log(JSON.stringify({ counts: meta.counts, bytes: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, f.bytes])) }));
  console.log(`generate default dataset (threads: ${threads ?? 'default'}): ${runs.map((ms) => `${(ms / 1000).toFixed(2)}s`).join(', ')} (best ${(Math.min(...runs) / 1000).toFixed(2)}s)`);
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
}
