import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, type Json } from './support/http.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';

const PASSWORD = 'rest is plain json';

describe('REST surface under /api/v1', () => {
  let server: TestServer;
  const api = (path: string) => `${server.url}/api/v1${path}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetchJson(api(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  /** A verified account's credentials, through REST. */
  async function restAccount() {
    const email = uniqueEmail('rest');
    await post('/auth/signup', { name: 'Rest', email, password: PASSWORD });
    const mail = await waitForMail(server.dataDir, email, 'verify-email');
    await post('/verify/email', { email, code: mail.code });
    return { email, password: PASSWORD };
  }

  it('runs sign-up → verify → login → me → sessions → transfers → logout with proper status codes', async () => {
    const email = uniqueEmail('rest');
    const signUp = await post('/auth/signup', { name: 'Rest', email, password: PASSWORD });
    expect(signUp.status).toBe(200);
    expect(signUp.body.user).toMatchObject({ email, name: 'Rest', emailVerified: false });
    expect(typeof signUp.body.user.createdAt).toBe('string');

    const taken = await post('/auth/signup', { name: 'Rest', email, password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body.data.reason).toBe('EMAIL_TAKEN');

    const mail = await waitForMail(server.dataDir, email, 'verify-email');
    const wrong = await post('/verify/email', {
      email,
      code: mail.code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.data.reason).toBe('CODE_INVALID');
    const verified = await post('/verify/email', { email, code: mail.code });
    expect(verified).toMatchObject({
      status: 200,
      body: { verified: true, alreadyVerified: false },
    });

    const badLogin = await post('/auth/login', { email, password: 'not the password' });
    expect(badLogin.status).toBe(401);
    expect(badLogin.body.data.reason).toBe('INVALID_CREDENTIALS');

    const login = await post('/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toContain('accessToken=');
    const bearer = { authorization: `Bearer ${login.body.accessToken as string}` };

    const me = await fetchJson(api('/auth/me'), { headers: bearer });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.session.current).toBe(true);

    // Cookie auth works on REST too.
    const byCookie = await fetchJson(api('/auth/me'), {
      headers: { cookie: `accessToken=${login.body.accessToken as string}` },
    });
    expect(byCookie.status).toBe(200);

    const sessions = await fetchJson(api('/sessions'), { headers: bearer });
    expect(sessions.status).toBe(200);
    expect(sessions.body).toHaveLength(1);

    const notMine = await fetchJson(api('/sessions/6f1c1f4e-8d7a-4b7e-9c1a-2b3c4d5e6f70'), {
      method: 'DELETE',
      headers: bearer,
    });
    expect(notMine.status).toBe(404);
    expect(notMine.body.data.reason).toBe('SESSION_NOT_FOUND');

    const complete = await post(
      '/file-transfers/complete',
      {
        receiverEmail: email,
        fileName: 'notes.txt',
        fileSize: 2 ** 40,
        fileType: 'text/plain',
        timeElapsed: 1234,
        transferType: 'WebRTC',
      },
      bearer,
    );
    expect(complete.status).toBe(200);
    expect(complete.body.fileSize).toBe(2 ** 40);

    const list = await fetchJson(api('/file-transfers?direction=sent&limit=5'), {
      headers: bearer,
    });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.nextCursor).toBeNull();

    const badLimit = await fetchJson(api('/file-transfers?limit=500'), { headers: bearer });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.data.reason).toBe('INVALID_INPUT');

    const stats = await fetchJson(api('/file-transfers/stats'), { headers: bearer });
    expect(stats.body).toEqual({
      sent: { count: 1, bytes: 2 ** 40 },
      received: { count: 1, bytes: 2 ** 40 },
    });

    const refreshed = await post('/auth/refresh', { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const reused = await fetchJson(api('/auth/refresh'), {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ refreshToken: 'not-a-token' }),
    });
    expect(reused.status).toBe(401);
    expect(reused.body.data.reason).toBe('REFRESH_INVALID');

    const logout = await post('/auth/logout', {}, bearer);
    expect(logout).toMatchObject({ status: 200, body: { sessionId: login.body.session.id } });
    const after = await fetchJson(api('/auth/me'), { headers: bearer });
    expect(after.status).toBe(401);
  });

  it('validation failures are 400 with fieldErrors, unknown routes 404, wrong media type 415', async () => {
    const invalid = await post('/auth/signup', { name: '', email: 'nope' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    expect(Object.keys(invalid.body.data.fieldErrors).sort()).toEqual([
      'email',
      'name',
      'password',
    ]);

    expect((await fetchJson(api('/nothing/here'))).status).toBe(404);
    const form = await fetchJson(api('/password/forgot'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'email=x',
    });
    expect(form.status).toBe(415);
    const malformed = await fetchJson(api('/password/forgot'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
  });

  it('bad input never answers 5xx: odd query names, bodies that are no object, deep nesting', async () => {
    const login = await post('/auth/login', await restAccount());
    const bearer = { authorization: `Bearer ${login.body.accessToken as string}` };
    // Names of Object.prototype members once broke the adapter's query parser (a 500).
    for (const query of [
      '__proto__=x',
      'constructor=x',
      'hasOwnProperty=1',
      'toString=1',
      'valueOf=1',
      'limit=5&__proto__=1',
      '__proto__[limit]=1',
    ]) {
      const res = await fetchJson(api(`/file-transfers?${query}`), { headers: bearer });
      expect(res.status, query).toBe(200);
      expect(res.body.items).toEqual([]);
    }
    // The adapter spread any JSON into an object: `null` or `5` revoked every session.
    for (const [body, message] of [
      ['null', /object/],
      ['5', /object/],
      ['"x"', /object/],
      ['[false]', /object/],
      ['true', /object/],
      ['{"includeCurrent":', /JSON/],
      ['{"__proto__":{"includeCurrent":false}}', /__proto__/],
      [`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /deeper/],
      [`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, /deeper/],
    ] as const) {
      const res = await fetchJson(api('/sessions/revoke-all'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer },
        body,
      });
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(res.body.data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
      expect(res.body.message).toMatch(message);
    }
    // No body is no input: the defaults apply (here, every session, this one included).
    const me = await fetchJson(api('/auth/me'), { headers: bearer });
    expect(me.status).toBe(200);
    const revoked = await fetchJson(api('/sessions/revoke-all'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toEqual([login.body.session.id]);
  });

  it('a streamed (chunked) body over 1 MiB is 413', async () => {
    const big = `{"email":"${'x'.repeat(1024 * 1024)}"}`;
    const chunks = [big.slice(0, 600_000), big.slice(600_000)];
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(api('/password/forgot'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('rate limits answer 429 with Retry-After', async () => {
    const email = uniqueEmail('rest-limit');
    expect((await post('/verify/resend', { email })).status).toBe(200);
    const limited = await post('/verify/resend', { email });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(limited.body.data.retryAfterSeconds);
  });

  it('serves an OpenAPI 3 document that validates and lists every REST path of SPEC §5', async () => {
    const { status, body } = await fetchJson(`${server.url}/api/openapi.json`);
    expect(status).toBe(200);
    expect(String(body.openapi)).toMatch(/^3\./);
    const result = await new Validator().validate(body as Json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const paths = Object.keys(body.paths);
    for (const path of [
      '/health',
      '/auth/signup',
      '/verify/email',
      '/verify/resend',
      '/auth/login',
      '/auth/refresh',
      '/auth/logout',
      '/auth/me',
      '/password/change',
      '/password/forgot',
      '/password/reset',
      '/sessions',
      '/sessions/{sessionId}',
      '/sessions/revoke-all',
      '/file-transfers/complete',
      '/file-transfers',
      '/file-transfers/stats',
    ]) {
      expect(paths).toContain(path);
    }
    expect(body.paths['/sessions/{sessionId}'].delete).toBeDefined();
    expect(body.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });
});
