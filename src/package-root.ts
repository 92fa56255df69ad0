import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json. Code runs both from `src/` (tests) and `dist/src/`
 * (the built daemon), so paths to `proto/` and `templates/` are found from here, not
 * from a fixed number of `..`.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${fileURLToPath(from)}`);
    dir = up;
  }
}

/**
 * A worker script's path. Worker threads need JavaScript, so when running from the
 * TypeScript sources (vitest) this points at the built copy under `dist/`.
 */
export function builtModule(relativeToSrc: string): string {
  return join(packageRoot(), 'dist', 'src', relativeToSrc);
}

/** The version in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
