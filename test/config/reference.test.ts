import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE } from '../../src/config/reference.js';
import { packageRoot } from '../../src/package-root.js';

/** The README's config reference is generated from the loader's key tables: keep them in step. */
describe('README config reference', () => {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

  for (const [section, table] of Object.entries(CONFIG_REFERENCE)) {
    it(`documents every key of ${section} with its default`, () => {
      const start = readme.indexOf(`#### \`${section}\``);
      expect(start, `README has no section for ${section}`).toBeGreaterThan(0);
      const end = readme.indexOf('\n#### ', start + 1);
      const body = readme.slice(start, end < 0 ? undefined : end);
      for (const [key, spec] of Object.entries(table)) {
        const def = spec.default === undefined ? '—' : `\`${JSON.stringify(spec.default)}\``;
        expect(body, `${section}.${key}`).toContain(`| \`${key}\` | ${def} |`);
      }
    });
  }
});
