import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { PROCESSORS } from '../../src/processors/index.js';
import { EXPORTERS } from '../../src/exporters/index.js';
import { RECEIVERS } from '../../src/receivers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'replayd-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Type-checks one module against the real processor contract; returns the error messages. */
function typeErrors(source: string): string[] {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.ts`);
  const src = join(packageRoot(), 'src');
  writeFileSync(file, source.replace('CONTRACT', join(src, 'processors', 'processor.js')).replaceAll("from '../", `from '${src}/`).replaceAll("from './", `from '${src}/processors/`));
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const FACTORY = (hooks: string) => `
import type { ProcessorFactory } from 'CONTRACT';
export const p: ProcessorFactory = {
  type: 'noop', aliases: [], doc: 'does nothing', keys: {}, repeatable: true, traits: [], order: [],
  parse: (_raw, ctx) => ({ type: 'noop', id: ctx.id }),
  describe: () => 'nothing',
  signalProblem: () => undefined,
  create: () => ({ ${hooks} }),
};
`;

describe('the processor contract', () => {
  it('makes a processor that forgets a hook a compile error, and accepts one that says null', () => {
    expect(typeErrors(FACTORY('compile: null, cycle: null, send: null'))).toEqual([]);
    const errors = typeErrors(FACTORY('compile: null, send: null'));
    expect(errors.join('\n')).toMatch(/Property 'cycle' is missing/);
  }, 60_000);

  it('compiles the example in docs/architecture.md', () => {
    const doc = readFileSync(join(packageRoot(), 'docs', 'architecture.md'), 'utf8');
    const example = /```ts\n(\/\/ src\/processors\/[\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(typeErrors(example!)).toEqual([]);
  }, 60_000);

  it('registers every component under its type and aliases, each with a doc and a key table', () => {
    for (const registry of [RECEIVERS, PROCESSORS, EXPORTERS]) {
      for (const f of registry.factories) {
        expect(registry.find(f.type)).toBe(f);
        for (const a of f.aliases) expect(registry.find(a)).toBe(f);
        expect(f.doc.length).toBeGreaterThan(10);
        for (const spec of Object.values(f.keys)) expect(spec.doc.length).toBeGreaterThan(5);
      }
    }
    expect(EXPORTERS.find('otlp')?.type).toBe('otlp_grpc');
    expect(EXPORTERS.find('otlphttp')?.type).toBe('otlp_http');
  });
});
