import { defineConfig } from 'vitest/config';

// The root Vitest config: it only lists the projects; each package has its own defineProject config.
export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.ts', 'packages/*/vitest.config.ts'],
  },
});
