import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests start child daemons and sinks; two cores cannot run many at once.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
