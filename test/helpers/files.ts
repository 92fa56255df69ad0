import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Call once at the top of a test file: a temp folder removed after the file's tests, and
 * `file(name, content)` writing a file there under a fresh name (so tests never share one).
 */
export function tempFiles(prefix: string): { dir: string; file(name: string, content: Uint8Array | string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    file(name, content) {
      const f = join(dir, `${n++}-${name}`);
      writeFileSync(f, content);
      return f;
    },
  };
}
