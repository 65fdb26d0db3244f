import { defineConfig } from 'vite';

// The API the dev server proxies to, so the app and the API share one origin in development.
const api = process.env.CRYPTWEB_API_URL ?? 'http://127.0.0.1:4000';

// JSX (automatic runtime, preact) comes from tsconfig.json's jsx and jsxImportSource.
export default defineConfig({
  // The server serves the built app under /app/ (apps/server/src/static.ts).
  base: '/app/',
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/trpc': { target: api, ws: true },
      '/api': { target: api },
      // Reset links point at APP_URL/reset-password; the server redirects them into the app.
      '/reset-password': { target: api },
    },
  },
});
