import { defineConfig } from 'vitest/config';

// The cluster project runs vidgate on a Redis Cluster (3 masters, 3 replicas, started by
// test/helpers/global-cluster.ts): inside `npm test`, the core pipeline and the cluster's own
// tests (slots, failovers); with VIDGATE_TEST_CLUSTER=all (`npm run test:cluster`), every
// end-to-end test. (The chaos suite starts its own Redis: a redis-server in test/chaos/chaos.test.ts,
// a 3+3 cluster in test/chaos/chaos-cluster.test.ts; both run in the redis project.)
const clusterFiles = process.env.VIDGATE_TEST_CLUSTER === 'all' ? ['test/e2e/**/*.test.ts', 'test/cluster/**/*.test.ts'] : ['test/e2e/pipeline.test.ts', 'test/cluster/**/*.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // Tests wait for states, never for time; these only end a test that hangs. They are generous
    // because on a loaded machine each start of the CLI alone takes 5-10 s.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: keep file-level parallelism modest so the concurrency tests measure contention
    // in Redis, not a starved event loop.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'redis', include: ['test/**/*.test.ts'], exclude: ['test/cluster/**'], globalSetup: ['test/helpers/global-redis.ts'] },
      },
      {
        extends: true,
        test: { name: 'cluster', include: clusterFiles, globalSetup: ['test/helpers/global-cluster.ts'] },
      },
    ],
  },
});
