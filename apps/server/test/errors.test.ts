import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env.js';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient } from './support/sig-raw.js';

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
    // An email no code was mailed to lately answers as an unverified account whose code expired
    // (SPEC §6.1 Codes).
    const error = await rejection(
      server.client().auth.verifyEmail.mutate({ email: 'nobody@example.test', code: '123456' }),
    );
    expect(error.data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'CODE_EXPIRED',
    });
  });

  it('an input in the query string that is no JSON is 400 INVALID_INPUT, never 500', async () => {
    // sessions.list needs a token: the input is read, and refused, before authentication (was 401).
    for (const path of ['sessions.list', 'health.check', 'transfers.list']) {
      const res = await fetch(`${server.url}/trpc/${path}?input=%7Bbad`);
      expect(res.status, path).toBe(400);
      const body: Json = await res.json();
      expect(body.error.json.data, path).toMatchObject({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        reason: 'INVALID_INPUT',
      });
    }
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
});

/** One failure of each kind over tRPC HTTP, REST and the WebSocket: what a client receives. */
async function errorResponses(server: TestServer): Promise<{ status: number; text: string }[]> {
  const responses = await Promise.all([
    fetch(`${server.url}/trpc/auth.me`),
    fetch(`${server.url}/trpc/nope.nope`),
    fetch(`${server.url}/trpc/auth.signUp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"json":{"email":1}}',
    }),
    fetch(`${server.url}/trpc/auth.signUp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"json":{},"meta":5}',
    }),
    fetch(`${server.url}/api/v1/auth/me`),
    fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":1}',
    }),
  ]);
  const http = await Promise.all(
    responses.map(async (res) => ({ status: res.status, text: await res.text() })),
  );
  const socket = await openRawClient(server);
  try {
    socket.send({ id: 1, method: 'query', params: { path: 'auth.me' } });
    socket.send({ id: 2, method: 'mutation', params: { path: 'auth.signUp', input: { json: 1 } } });
    await Promise.all([socket.reply(1), socket.reply(2)]);
    const frames = socket.frames.filter((frame) => frame !== 'PING');
    const ws = frames.map((text) => ({
      status: Number((JSON.parse(text) as Json).error?.json?.data?.httpStatus),
      text,
    }));
    return [...http, ...ws];
  } finally {
    socket.close();
  }
}

function expectNoStack(responses: { status: number; text: string }[]) {
  expect(responses.length).toBeGreaterThanOrEqual(8);
  for (const { status, text } of responses) {
    expect(status, text).toBeGreaterThanOrEqual(400);
    expect(status, text).toBeLessThan(500);
    expect(text).not.toMatch(/stack|\bat [\w.<>]+ \(|at file:|node_modules|\.ts:\d+/);
  }
}

// SPEC §6.1: stack traces never reach clients unless EXPOSE_ERROR_STACKS=true (never in production).
describe('stack traces', () => {
  it.each(['test', 'development'] as const)(
    'stay on the server by default in %s',
    async (NODE_ENV) => {
      const server = await startTestServer({ env: { NODE_ENV } });
      try {
        expectNoStack(await errorResponses(server));
      } finally {
        await server.stop();
      }
    },
  );

  it.each(['test', 'development'] as const)(
    'reach the client with EXPOSE_ERROR_STACKS=true in %s',
    async (NODE_ENV) => {
      const server = await startTestServer({ env: { NODE_ENV, EXPOSE_ERROR_STACKS: 'true' } });
      try {
        const res = await fetch(`${server.url}/trpc/auth.me`);
        expect(res.status).toBe(401);
        const body: Json = await res.json();
        expect(body.error.json.data.stack).toEqual(expect.stringContaining('Error'));
        const rest: Json = await (await fetch(`${server.url}/api/v1/auth/me`)).json();
        expect(rest.data.stack).toEqual(expect.stringContaining('Error'));
      } finally {
        await server.stop();
      }
    },
  );

  it('EXPOSE_ERROR_STACKS=true is refused in production', () => {
    const production = {
      NODE_ENV: 'production',
      APP_URL: 'https://files.example.test',
      JWT_SECRET: 'production-secret-that-is-at-least-32-bytes',
      RESEND_API_KEY: 're_unused',
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    expect(parseEnv(production).EXPOSE_ERROR_STACKS).toBe(false);
    expect(() => parseEnv({ ...production, EXPOSE_ERROR_STACKS: 'true' })).toThrow(
      /EXPOSE_ERROR_STACKS/,
    );
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
        DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
    });
  });
  afterAll(() => server.stop());

  it('no stack trace leaves the server', async () => {
    expectNoStack(await errorResponses(server));
  });
});
