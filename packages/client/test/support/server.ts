import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type App, createApp, parseEnv } from '@cryptweb/server';
import postgres from 'postgres';

/** Set to run these tests against a PostgreSQL server instead of embedded PGlite. */
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** Every request comes from 127.0.0.1: per-IP limits must not trip over a whole file. */
const RATE_LIMITS = JSON.stringify({
  'signIn.ip': { max: 1000, windowSeconds: 900 },
  'signUp.ip': { max: 1000, windowSeconds: 36_000 },
  'verifyEmail.ip': { max: 1000, windowSeconds: 900 },
});

export interface TestServer {
  url: string;
  dataDir: string;
  app(): App;
  /** The paths of every HTTP request the server logged so far, e.g. `/trpc/auth.refresh`. */
  requestPaths(): string[];
  /** Stops the app and starts a new one on the same port and the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A fresh database on the TEST_DATABASE_URL server; `drop()` removes it. */
async function createDatabase(adminUrl: string) {
  const name = `cryptweb_client_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await client.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Starts the real server in-process on a free port, on PGlite in a temporary directory (or a
 * fresh PostgreSQL database when TEST_DATABASE_URL is set), mailing codes to DATA_DIR/mail.jsonl.
 */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-client-'));
  const database = TEST_DATABASE_URL ? await createDatabase(TEST_DATABASE_URL) : undefined;
  const logLines: string[] = [];
  let pending = '';
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    logLines.push(...lines);
  });

  const start = async (port: string) => {
    const app = await createApp({
      env: parseEnv({
        NODE_ENV: 'test',
        PORT: port,
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: database?.url,
        BCRYPT_COST: '4',
        JWT_SECRET: 'client-test-secret-that-is-at-least-32-bytes',
        MAIL_TRANSPORT: 'file',
        LOG_LEVEL: 'info',
        RATE_LIMITS,
        ...env,
      }),
      logDestination: logStream,
    });
    return { app, url: await app.listen() };
  };

  let current = await start('0');
  const url = current.url;
  return {
    url,
    dataDir,
    app: () => current.app,
    requestPaths: () =>
      logLines.flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { msg?: unknown; path?: unknown };
          return entry.msg === 'request' && typeof entry.path === 'string' ? [entry.path] : [];
        } catch {
          return [];
        }
      }),
    async restart() {
      // The old app must have closed PGlite before the new one opens the same directory.
      await current.app.stop();
      current = await start(new URL(url).port);
    },
    async stop() {
      await current.app.stop();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Mail {
  to: string;
  kind: string;
  code?: string;
}

/** Waits for the newest verification code mailed to `email` (the outbox worker sends it). */
export async function mailedCode(dataDir: string, email: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(path.join(dataDir, 'mail.jsonl'), 'utf8').catch(() => '');
    const code = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Mail)
      .filter((mail) => mail.to === email.toLowerCase() && mail.kind === 'verify-email')
      .at(-1)?.code;
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no verification code mailed to ${email} within ${timeoutMs} ms`);
}

let counter = 0;
/** A unique address per call, so tests never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}.${randomBytes(3).toString('hex')}@example.test`;
}
