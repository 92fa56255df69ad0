import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE, referenceMarkdown } from '../../src/config/reference.js';
import { EXPORTERS } from '../../src/exporters/index.js';
import { PROCESSORS } from '../../src/processors/index.js';
import { RECEIVERS } from '../../src/receivers/index.js';
import { packageRoot } from '../../src/package-root.js';
import { withReference } from '../../scripts/readme-reference.js';

/** The README's config reference is generated from the loader's key tables: keep them in step. */
describe('README config reference', () => {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

  it('is the one `npm run reference` writes', () => {
    expect(readme, 'run `npm run reference`').toBe(withReference(readme));
  });

  it('has a section for every registered component, with every key and its default', () => {
    const md = referenceMarkdown();
    for (const r of [RECEIVERS, PROCESSORS, EXPORTERS]) {
      const kind = `${r.kind}s`;
      for (const f of r.factories) {
        const section = CONFIG_REFERENCE.find((s) => s.title.startsWith(`${kind}.${f.type}`));
        expect(section, `${kind}.${f.type}`).toBeDefined();
        expect(md).toContain(`#### \`${section!.title}\``);
        for (const [key, spec] of Object.entries(f.keys)) {
          const def = spec.default === undefined ? '—' : `\`${JSON.stringify(spec.default)}\``;
          expect(md, `${kind}.${f.type}.${key}`).toContain(`| \`${key}\` | ${def} |`);
        }
      }
    }
  });
});
