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
    ],
  },
});
