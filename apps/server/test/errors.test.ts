import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

async function rejection(promise: Promise<unknown>): Promise<TRPCClientError<never>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<never>;
}

describe('error format', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('validation failures are BAD_REQUEST INVALID_INPUT with fieldErrors per field', async () => {
    const error = await rejection(
      server.client().auth.signUp.mutate({ name: '  ', email: 'not-an-email', password: 'short' }),
    );
    const data = error.data as Json;
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'INVALID_INPUT' });
    expect(Object.keys(data.fieldErrors).sort()).toEqual(['email', 'name', 'password']);
    for (const messages of Object.values(data.fieldErrors)) {
      expect(messages).toEqual(expect.arrayContaining([expect.any(String)]));
    }
  });

  it('domain errors carry a stable reason next to code and httpStatus', async () => {
    const error = await rejection(
      server.client().auth.verifyEmail.mutate({ email: 'nobody@example.test', code: '123456' }),
    );
    expect(error.data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'CODE_INVALID',
    });
  });

  it('a wrong input type in the query string is 400, never 500', async () => {
    const res = await fetch(`${server.url}/trpc/sessions.list?input=%7Bbad`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('an input of the wrong shape is INVALID_INPUT, whatever it is', async () => {
    for (const json of [null, 42, 'text', [], { email: { $gt: '' } }]) {
      const res = await fetch(`${server.url}/trpc/auth.forgotPassword`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ json }),
      });
      expect(res.status).toBe(400);
      const body: Json = await res.json();
      expect(body.error.json.data.reason).toBe('INVALID_INPUT');
    }
  });

  it('NUL characters, which PostgreSQL cannot store, are INVALID_INPUT rather than a 500', async () => {
    const error = await rejection(
      server.client().auth.signUp.mutate({
        name: 'Nul\u0000Name',
        email: 'nul@example.test',
        password: 'a perfectly fine password',
      }),
    );
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(Object.keys((error.data as Json).fieldErrors)).toEqual(['name']);
  });

  it('a streamed (chunked) body over 1 MiB is 413', async () => {
    const big = `{"json":{"email":"${'x'.repeat(1024 * 1024)}"}}`;
    const chunks = [big.slice(0, 600_000), big.slice(600_000)];
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(`${server.url}/trpc/auth.forgotPassword`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('development responses include a stack for debugging', async () => {
    const res = await fetch(`${server.url}/trpc/auth.me`);
    const body: Json = await res.json();
    expect(res.status).toBe(401);
    expect(body.error.json.data.stack).toEqual(expect.any(String));
  });
});

describe('in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        NODE_ENV: 'production',
        APP_URL: 'https://files.example.test',
        RESEND_API_KEY: 're_unused',
        RESEND_BASE_URL: 'http://127.0.0.1:9',
      },
    });
  });
  afterAll(() => server.stop());

  it('no stack trace leaves the server', async () => {
    const responses = await Promise.all([
      fetch(`${server.url}/trpc/auth.me`),
      fetch(`${server.url}/trpc/nope.nope`),
      fetch(`${server.url}/trpc/auth.signUp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"json":{"email":1}}',
      }),
    ]);
    for (const res of responses) {
      const text = await res.text();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(text).not.toMatch(/stack|at file:|node_modules/);
    }
  });
});
