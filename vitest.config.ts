import { defineConfig } from 'vitest/config';

// Two layers: fast in-memory semantics (unit) and real services started by deploy/local/stack (integration).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration files share one broker and one ClickHouse on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
