import { defineConfig } from 'vitest/config';

// The multi-cluster kind tests: minutes of cluster creation on 2 cores, so not part of `npm run test:e2e` (CI).
// `npm run test:e2e-kind`.
export default defineConfig({
  test: {
    include: ['test/e2e-kind/**/*.test.ts'],
    environment: 'node',
    testTimeout: 900_000,
    hookTimeout: 1_900_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
