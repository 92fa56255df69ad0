import { createHash, type Hash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteAttributes } from '../../src/compile/attribute-rewrite.js';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import type { ConfigProblem } from '../../src/errors.js';
import { parseGeneratorConfig } from '../../src/generator/config.js';
import { writeDataset } from '../../src/generator/writer.js';
import type { Signal } from '../../src/otlp/signals.js';
import { templateBytes } from '../../src/receivers/encode-template.js';
import { parseTemplate } from '../../src/receivers/template.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { traces } from './fixtures.js';

/**
 * Pins the compiler's whole output (frame bytes, every patch table, id groups, units,
 * schedules, continuity tables) on generated templates, as SHA-256 digests, so that an
 * optimisation of compile cannot change a single byte unnoticed. The templates are
 * pinned too: if the generator changes, those digests fail first and the output digests
 * must be taken again from a compiler known to be right.
 */

/** Feeds any compile output into `h` in a fixed order: typed arrays as their bytes, objects by sorted key. */
function feed(h: Hash, v: unknown): void {
  if (ArrayBuffer.isView(v)) {
    h.update(`<${v.constructor.name}:${v.byteLength}>`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    h.update(`[${v.length}`);
    for (const x of v) feed(h, x);
    h.update(']');
  } else if (v !== null && typeof v === 'object') {
    h.update('{');
    for (const k of Object.keys(v).sort()) {
      h.update(`${k}:`);
      feed(h, (v as Record<string, unknown>)[k]);
    }
    h.update('}');
  } else {
    h.update(`${typeof v}:${String(v)};`);
  }
}

const digest = (v: unknown): string => {
  const h = createHash('sha256');
  feed(h, v);
  return h.digest('hex').slice(0, 16);
};

const SPLIT = { maxItems: 1_000_000, maxBytes: 3 * 1024 * 1024 };
const DELIVERY: CompileOptions['delivery'] = {
  plan: { mode: 'as_ended', lateSpans: { share: 0.1, delayMs: 300 }, lateRoot: { share: 0.2, delayMs: 700 }, rootless: 0.05 }, eventsPerSecond: 5000, seed: 9,
};

/** Each signal's cases: the options of every compile path the bench and the processors take. */
const CASES: Record<Signal, Record<string, Omit<CompileOptions, 'encodings'>>> = {
  traces: {
    'ids and times, split as the bench': { idRegen: true, timestamps: true, ...SPLIT },
    'nothing stamped, one frame': { idRegen: false, timestamps: false },
    'ids only, 7 spans a frame': { idRegen: true, timestamps: false, maxItems: 7 },
    'times only, 6 kB frames': { idRegen: false, timestamps: true, maxBytes: 6000 },
    'delivery as_ended with late spans': { idRegen: true, timestamps: true, ...SPLIT, delivery: DELIVERY },
    'an attribute rewrite and a digit field': {
      idRegen: true, timestamps: true, maxItems: 50,
      rewrites: [(b) => rewriteAttributes('traces', b, 'resource', [{ key: 'replay.tenant', action: 'upsert', value: 'tenant-0000' }])],
      digits: [{ scope: 'resource', key: 'replay.tenant', width: 4 }],
    },
  },
  metrics: {
    'ids and times, split as the bench': { idRegen: true, timestamps: true, ...SPLIT },
    'continuity, 9 points a frame': { idRegen: true, timestamps: true, continuity: true, maxItems: 9 },
    'nothing stamped, one frame': { idRegen: false, timestamps: false },
  },
  logs: {
    'ids and times, split as the bench': { idRegen: true, timestamps: true, ...SPLIT },
    'times only, 4 kB frames': { idRegen: false, timestamps: true, maxBytes: 4000 },
  },
};

/** Digests taken from the compiler before its speed work (commit a51bab2). */
const TEMPLATES: Record<string, string> = { traces: '536c70f1c837482b', metrics: '59561d4178fd3b8c', logs: '7b74c65bc9a0402d' };
const PINNED: Record<string, string> = {
  'traces: ids and times, split as the bench': '8ecf1308e8abcd71',
  'traces: nothing stamped, one frame': '9e89a033367550d0',
  'traces: ids only, 7 spans a frame': '2f95e107c3cb65b5',
  'traces: times only, 6 kB frames': '244998696d2f4f8d',
  'traces: delivery as_ended with late spans': '7ef79400f0edc9e8',
  'traces: an attribute rewrite and a digit field': '204cf55ad559e3e1',
  'metrics: ids and times, split as the bench': '97b39e2b17248d40',
  'metrics: continuity, 9 points a frame': '417db1041432ad4a',
  'metrics: nothing stamped, one frame': '76c4d9aafa213a1c',
  'logs: ids and times, split as the bench': '7bd6e731b5c60239',
  'logs: times only, 4 kB frames': 'e03390d87acc0c7b',
};

describe('compile output, pinned', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replayd-pinned-'));
  const templates = new Map<string, TemplateData[]>();

  beforeAll(async () => {
    const problems: ConfigProblem[] = [];
    const cfg = parseGeneratorConfig({
      seed: 11, output: { directory: dir, prefix: 'g' },
      traces: { count: 400, spans: { avg_per_trace: 15, std_dev: 5 }, services: { count: 6 } },
      metrics: { metric_count: 40, timeseries_per_metric: { min: 1, max: 6, default: 3 } },
      logs: { count: 600, correlate: true },
    }, join(dir, 'gen.yaml'), problems);
    expect(problems).toEqual([]);
    await writeDataset(cfg, { outDir: dir, json: false, threads: 1 });
    for (const signal of Object.keys(CASES) as Signal[]) {
      const file = join(dir, `g-${signal}.pb`);
      templates.set(signal, [parseTemplate(readFileSync(file), file, signal)]);
    }
    // Every trace twice in one template (two trace copies), beside a template of its own.
    const once = templateBytes(traces(5, 6));
    templates.set('trace copies', [
      { signal: 'traces', source: 'twice', bytes: Buffer.concat([once, once]) },
      { signal: 'traces', source: 'once', bytes: Buffer.from(templateBytes(traces(3, 4, { firstSpan: 100 }))) },
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles the generator\'s templates as pinned, for every signal and option set', () => {
    const got: Record<string, string> = {};
    const inputs: Record<string, string> = {};
    for (const signal of Object.keys(CASES) as Signal[]) {
      const data = templates.get(signal)!;
      inputs[signal] = digest(data.map((d) => d.bytes));
      for (const [name, opts] of Object.entries(CASES[signal])) got[`${signal}: ${name}`] = digest(compile(data, { ...opts, encodings: ['proto'] }));
    }
    expect(inputs).toEqual(TEMPLATES);
    expect(got).toEqual(PINNED);
  });

  it('compiles trace copies (a template holding each trace twice) as pinned', () => {
    const data = templates.get('trace copies')!;
    const got = Object.fromEntries(Object.entries(CASES.traces).filter(([name]) => !name.startsWith('an attribute'))
      .map(([name, opts]) => [name, digest(compile(data, { ...opts, encodings: ['proto'] }))]));
    expect(got).toEqual(COPIES);
  });
});

const COPIES: Record<string, string> = {
  'ids and times, split as the bench': 'd7a6ac60013aa617',
  'nothing stamped, one frame': 'e8c50eab2e0bcd30',
  'ids only, 7 spans a frame': '1c92054e942a0824',
  'times only, 6 kB frames': 'dccea0edd80d8f04',
  'delivery as_ended with late spans': 'a50c0e93e694b3d7',
};
