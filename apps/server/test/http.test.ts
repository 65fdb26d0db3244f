import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onPostgres } from './support/database.js';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('plain HTTP routes', () => {
  it('GET / names the service', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect((await res.json()) as Json).toEqual({ name: 'cryptweb', version: expect.any(String) });
  });

  it('GET /healthz answers while the process runs', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect((await res.json()) as Json).toEqual({ status: 'up' });
  });

  it('GET /readyz reports a healthy database with the driver in use', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const body: Json = await res.json();
    expect(body.database).toMatchObject({
      status: 'healthy',
      driver: onPostgres ? 'postgres' : 'pglite',
    });
  });

  it('unknown paths are 404 JSON', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error.code).toBe('NOT_FOUND');
  });
});

describe('health.check', () => {
  it('reports app and database', async () => {
    const report = await server.client().health.check.query();
    expect(report.app).toMatchObject({ status: 'up', version: expect.any(String) });
    expect(report.app.uptime).toBeGreaterThanOrEqual(0);
    expect(Object.keys(report.app.memoryUsage).sort()).toEqual(
      ['external', 'heapTotal', 'heapUsed', 'rss'].sort(),
    );
    expect(report.database.status).toBe('healthy');
    expect(report.database.driver).toBe(onPostgres ? 'postgres' : 'pglite');
    expect(report.database.latencyMs).toBeGreaterThanOrEqual(0);
  });
});

describe('errors never become 500s', () => {
  it('a procedure that does not exist is NOT_FOUND', async () => {
    const res = await fetch(`${server.url}/trpc/health.nope`);
    expect(res.status).toBe(404);
    const body: Json = await res.json();
    expect(body.error.json.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
  });

  it('a malformed JSON body is a 400 INVALID_INPUT', async () => {
    const res = await fetch(`${server.url}/trpc/auth.forgotPassword`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"json":',
    });
    expect(res.status).toBe(400);
    const body: Json = await res.json();
    expect(body.error.json.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(body.error.json.message).toBe('The input is not valid JSON');
  });

  it('calling a query with POST is 405, not 500', async () => {
    const res = await fetch(`${server.url}/trpc/health.check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(405);
  });

  it('the typed client sees code and httpStatus in data', async () => {
    const client = server.client() as unknown as {
      health: { nope: { query(): Promise<unknown> } };
    };
    const error = await client.health.nope.query().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
    });
  });
});

describe('body and message limits', () => {
  const big = 'x'.repeat(1024 * 1024 + 10);

  it('a declared body over 1 MiB is 413', async () => {
    const res = await fetch(`${server.url}/trpc/health.check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
  });

  it('a WebSocket message over 1 MiB closes that socket', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/trpc`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(big);
    expect(await closed).toBe(1009);
  });

  it('the WebSocket endpoint answers queries on the same port', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/trpc`);
    await new Promise((resolve) => ws.once('open', resolve));
    const reply = new Promise<string>((resolve) =>
      ws.on('message', (data) => {
        const text = String(data);
        if (text.includes('"id":1')) resolve(text);
      }),
    );
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'query',
        params: { path: 'health.check', input: { json: null } },
      }),
    );
    const message = JSON.parse(await reply);
    expect(message.result.data.json.database.status).toBe('healthy');
    ws.close();
  });
});

describe('request logs', () => {
  it('one JSON line per request with method, path, status, duration and request id', async () => {
    await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'req-test-123' } });
    const line = server
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((entry) => entry.requestId === 'req-test-123');
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/healthz',
      status: 200,
      durationMs: expect.any(Number),
    });
  });
});
