import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInUser } from './support/accounts.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.js';
import type { Json } from './support/http.js';
import { spawnServer } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** A TCP proxy in front of PostgreSQL that a test can cut and restore. */
function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<number>((resolve) => {
      const listener = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        upstream.connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server = listener;
      listener.listen(port, '127.0.0.1', () => {
        port = (listener.address() as { port: number }).port;
        resolve(port);
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (server) server.close(() => resolve());
      else resolve();
    });
  return { open, cut };
}

describe.runIf(onPostgres)('on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('two processes starting at once on a fresh database both come up; migrations ran once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-pg-'));
    const env = { PORT: '0', DATABASE_URL: database.url, DATA_DIR: dataDir };
    const a = spawnServer(env);
    const b = spawnServer(env);
    try {
      const [urlA, urlB] = await Promise.all([a.ready, b.ready]);
      for (const url of [urlA, urlB]) {
        const health = await fetch(`${url}/trpc/health.check`).then(
          (r) => r.json() as Promise<Json>,
        );
        expect(health.result.data.json.database).toMatchObject({
          status: 'healthy',
          driver: 'postgres',
        });
      }
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      const applied = await sql`select hash from drizzle.__drizzle_migrations`;
      const journal = await import('../../../drizzle/meta/_journal.json', {
        with: { type: 'json' },
      });
      await sql.end();
      expect(applied.length).toBe(journal.default.entries.length);
      expect(new Set(applied.map((row) => row.hash)).size).toBe(applied.length);
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(onPostgres)('database outage', () => {
  let server: TestServer;
  let proxy: ReturnType<typeof tcpProxy>;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = tcpProxy(target);
    const port = await proxy.open();
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    server = await startTestServer({
      database: { url: viaProxy.toString(), drop: async () => {} },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('turns unready within 10 s of losing the database and recovers within 10 s of its return', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const user = await signedInUser(server);
    await proxy.cut();

    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 503, 10_000);
    const res = await fetch(`${server.url}/trpc/health.check`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Json;
    expect(body.error.json.data).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'DATABASE_UNAVAILABLE',
      health: { database: { status: 'down', driver: 'postgres' } },
    });
    // Procedures that need the database answer 503 SERVICE_UNAVAILABLE, never 500: a mutation
    // and an authenticated query alike.
    const signIn = await fetch(`${server.url}/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: user.email, password: user.password } }),
    });
    expect(signIn.status).toBe(503);
    expect(((await signIn.json()) as Json).error.json.data).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'DATABASE_UNAVAILABLE',
    });
    const sessions = await fetch(`${server.url}/trpc/sessions.list`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(sessions.status).toBe(503);
    expect(((await sessions.json()) as Json).error.json.data.code).toBe('SERVICE_UNAVAILABLE');
    // The process is alive throughout.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await proxy.open();
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, 10_000);
    const report = await server.client().health.check.query();
    expect(report.database.status).toBe('healthy');
    // ...and the same session works again.
    expect((await user.client.sessions.list.query()).length).toBe(1);
  });
});
