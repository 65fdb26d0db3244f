import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'client',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // The consumer-types suite may build the package first.
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
