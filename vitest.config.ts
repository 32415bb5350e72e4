import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{region-agent,cli,operator}/src/**/*.test.ts', 'dashboards/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file starts its own PostgreSQL/NATS processes on a 2-core machine: run files one at a time.
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          // Docker + kind (hack/docker.sh, hack/images/build.sh, hack/kind.sh); skipped with a
          // printed reason when Docker cannot run. `npm run test:e2e`.
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
