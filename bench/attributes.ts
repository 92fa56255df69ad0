/**
 * Speed of the attributes/resource/cardinality compile steps on the bench's template
 * (8,000 generated traces, ~120k spans, ~41 MB) and on the seed tool's metrics and logs.
 * Compile-time work, run once per template: it must stay well under a second.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/attributes.js
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConfigProblem } from '../src/errors.js';
import { parseGeneratorConfig } from '../src/generator/config.js';
import { writeDataset } from '../src/generator/writer.js';
import type { Signal } from '../src/otlp/signals.js';
import { wireToJson } from '../src/otlp/wire/json.js';
import { type AttributeAction, type AttributeScope, rewriteAttributes } from '../src/compile/attribute-rewrite.js';
import { findDigitSites, jsonDigitSites } from '../src/compile/attribute-sites.js';

const problems: ConfigProblem[] = [];
const cfg = parseGeneratorConfig({
  seed: 7, output: { prefix: 'bench' },
  traces: { count: 8000, spans: { avg_per_trace: 15, std_dev: 5 }, services: { count: 12 } },
  metrics: { metric_count: 2000, timeseries_per_metric: { min: 100, max: 500, default: 300 } },
  logs: { count: 50_000 },
}, 'bench', problems);
if (problems.length > 0) throw new Error(JSON.stringify(problems));

/** Best of `runs` timings of `fn`, in ms. */
function best(fn: () => unknown, runs = 5): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const line = (what: string, bytes: number, ms: number): void =>
  console.log(`${what.padEnd(62)} ${ms.toFixed(1).padStart(7)} ms  ${(bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(5)} MB/s`);

const CASES: [string, AttributeScope, AttributeAction[]][] = [
  ['item: upsert a new key on every item', 'item', [{ key: 'replay.cardinality', action: 'upsert', value: 'tenant-000000' }]],
  ['item: update + delete of present keys', 'item', [{ key: 'http.route', action: 'update', value: '/x' }, { key: 'http.request.method', action: 'delete' }]],
  ['item: update of an absent key (copy only)', 'item', [{ key: 'absent', action: 'update', value: 1 }]],
  ['resource: upsert + delete', 'resource', [{ key: 'host.name', action: 'upsert', value: 'replay-1' }, { key: 'service.version', action: 'delete' }]],
];

const dir = mkdtempSync(join(tmpdir(), 'replayd-bench-attr-'));
try {
  await writeDataset(cfg, { outDir: dir, json: false });
  for (const signal of ['traces', 'metrics', 'logs'] as Signal[]) {
    const bytes = new Uint8Array(readFileSync(join(dir, `bench-${signal}.pb`)));
    console.log(`${signal}: ${(bytes.length / 1e6).toFixed(1)} MB`);
    for (const [what, scope, actions] of CASES) line(`  rewrite ${what}`, bytes.length, best(() => rewriteAttributes(signal, bytes, scope, actions)));
    const stamped = rewriteAttributes(signal, bytes, 'item', CASES[0]![2]);
    let sites: Uint32Array = new Uint32Array(0);
    line('  findDigitSites on every item', stamped.length, best(() => (sites = findDigitSites(signal, stamped, 'item', 'replay.cardinality', 6))));
    const plain = best(() => wireToJson(signal, stamped, { fixedWidthTimes: true, sites: { id: () => {}, time: () => {} } }), 3);
    const mapped = best(() => {
      const j = jsonDigitSites(sites, 6);
      wireToJson(signal, stamped, { fixedWidthTimes: true, sites: { id: () => {}, time: () => {}, ...j.sink } });
      return j.sites();
    }, 3);
    line('  wireToJson, id/time sites only', stamped.length, plain);
    line(`  wireToJson + jsonDigitSites (${sites.length} sites)`, stamped.length, mapped);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
