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

const DOC_EXAMPLE = /```ts\n(\/\/ src\/processors\/[\s\S]*?)```/.exec(readFileSync(join(packageRoot(), 'docs', 'architecture.md'), 'utf8'))?.[1];

/** The modules the tests type-check, by name. */
const MODULES = {
  allHooks: FACTORY('compile: null, cycle: null, send: null'),
  noCycle: FACTORY('compile: null, send: null'),
  docExample: DOC_EXAMPLE,
};

let checked: Map<string, string[]> | undefined;

/**
 * Type-checks a module of MODULES against the real processor contract; returns its error
 * messages. All of them are checked in one program, built at the first call: a program
 * per module parsed the whole of src/ again each time.
 */
function typeErrors(name: keyof typeof MODULES): string[] {
  if (!checked) {
    const src = join(packageRoot(), 'src');
    const files = new Map<string, string>();
    for (const [n, source] of Object.entries(MODULES)) {
      if (source === undefined) continue;
      const file = join(dir, `${n}.ts`);
      writeFileSync(file, source.replace('CONTRACT', join(src, 'processors', 'processor.js')).replaceAll("from '../", `from '${src}/`).replaceAll("from './", `from '${src}/processors/`));
      files.set(n, file);
    }
    const program = ts.createProgram([...files.values()], {
      strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true,
    });
    // Only these modules are checked: the src/ they import is checked by the build.
    checked = new Map([...files].map(([n, file]) => [n, ts.getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))]));
  }
  const errors = checked.get(name);
  if (!errors) throw new Error(`module ${name} was not checked`);
  return errors;
}

describe('the processor contract', () => {
  it('makes a processor that forgets a hook a compile error, and accepts one that says null', () => {
    expect(typeErrors('allHooks')).toEqual([]);
    const errors = typeErrors('noCycle');
    expect(errors.join('\n')).toMatch(/Property 'cycle' is missing/);
  }, 60_000);

  it('compiles the example in docs/architecture.md', () => {
    expect(DOC_EXAMPLE).toBeDefined();
    expect(typeErrors('docExample')).toEqual([]);
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
