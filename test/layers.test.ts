import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';

/**
 * The layers of docs/architecture.md, bottom first. A module may import its own layer
 * and those below it, never one above: that is what keeps the engine free of the
 * config loader and the CLI.
 */
const LAYERS: [rank: number, prefixes: string[]][] = [
  [0, ['errors.ts', 'units.ts', 'log.ts', 'host-port.ts', 'close-server.ts', 'package-root.ts', 'mulberry32.ts', 'snake-case.ts', 'output-files.ts']],
  [1, ['otlp/']], // otlp/wire/ holds the byte-level half; wire-json reads the protobufjs schema of otlp/proto.ts
  [3, ['config/schema.ts', 'config/component.ts', 'config/env.ts', 'config/endpoints.ts']],
  [4, ['receivers/', 'generator/', 'inspect/']],
  [5, ['compile/']],
  [6, ['stamp/']],
  [7, ['processors/', 'exporters/', 'config/types.ts', 'config/resolve.ts']],
  [8, ['worker/']],
  [9, ['service/', 'telemetry/', 'sink/', 'recorder/']],
  [10, ['config/', 'cli/']],
];

function rankOf(file: string): number {
  let best: [number, number] = [-1, -1];
  for (const [rank, prefixes] of LAYERS) {
    for (const p of prefixes) if (file.startsWith(p) && p.length > best[1]) best = [rank, p.length];
  }
  if (best[0] < 0) throw new Error(`${file} is in no layer: add it to LAYERS`);
  return best[0];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

describe('layers', () => {
  it('no module imports from a layer above its own', () => {
    const src = join(packageRoot(), 'src');
    const upward: string[] = [];
    for (const abs of sources(src)) {
      const file = relative(src, abs);
      const text = readFileSync(abs, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        const target = relative(src, resolve(dirname(abs), m[1]!)).replace(/\.js$/, '.ts');
        if (rankOf(target) > rankOf(file)) upward.push(`${file} imports ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
