import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'web',
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    // beforeAll builds the app (through turbo, so an unchanged build is a cache hit).
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
