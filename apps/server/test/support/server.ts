import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import { type EnvInput, parseEnv } from '../../src/env.js';
import type { AppRouter } from '../../src/routers/_app.js';
import { type App, createApp } from '../../src/server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './database.js';

export interface TestServer {
  app: App;
  url: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** A typed client; `headers` are added to every request. */
  client(headers?: Record<string, string>): TRPCClient<AppRouter>;
  /** Every log line the server wrote so far. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: EnvInput;
  /** Share a database with another test server (PostgreSQL only); by default each gets its own. */
  database?: TestDatabase;
}

/**
 * Starts the real server in-process on a free port, on PGlite in a temporary directory, or on a
 * fresh PostgreSQL database when TEST_DATABASE_URL is set. `stop()` removes everything it made.
 */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-test-'));
  const ownDatabase = !options.database && onPostgres ? await createTestDatabase() : undefined;
  const database = options.database ?? ownDatabase;
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    BCRYPT_COST: '4',
    JWT_SECRET: 'test-secret-that-is-at-least-32-bytes-long',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logStream = new PassThrough();
  const chunks: string[] = [];
  logStream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));

  const app = await createApp({ env, logDestination: logStream });
  const url = await app.listen();
  const client = (headers: Record<string, string> = {}) =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson, headers })],
    });

  return {
    app,
    url,
    dataDir,
    databaseUrl: database?.url,
    client,
    logs: () => chunks.join(''),
    async stop() {
      await app.stop();
      await ownDatabase?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A unique address per call, so tests in one file never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}.${Math.random().toString(36).slice(2, 8)}@example.test`;
}
