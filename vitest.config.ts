import { defineConfig } from 'vitest/config';

/**
 * Test folders whose files run one after another in a shared module registry: they test
 * modules in-process and hold no process-wide state between files, and importing src/
 * once per worker instead of once per file saves most of their time. The others start
 * servers, clients, children and signal handlers; gRPC clients share a channel pool per
 * process, so those files keep a registry (and a pool) each.
 */
const SHARED = ['config', 'otlp', 'compile', 'stamp', 'generator', 'receivers', 'processors', 'inspect', 'deploy', 'worker', 'service'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests start child daemons and sinks; two cores cannot run many at once.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'shared', include: [...SHARED.map((d) => `test/${d}/**/*.test.ts`), 'test/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...SHARED.map((d) => `test/${d}/**`), 'test/*.test.ts'] },
      },
    ],
  },
});
