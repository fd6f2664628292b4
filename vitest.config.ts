import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-redis.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // Tests wait for states, never for time; these only end a test that hangs. They are generous
    // because on a loaded machine each start of the CLI alone takes 5-10 s.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: keep file-level parallelism modest so the concurrency tests measure contention
    // in Redis, not a starved event loop.
    maxWorkers: 2,
  },
});
