import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCClientError } from '@trpc/client';
import { eq, sql } from 'drizzle-orm';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import type { AppRouter } from '../src/routers/_app.js';
import { clientWithToken, signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { sessionOf } from './support/signed-in.js';

const RATE_LIMITS = roomyLimits();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_ACCESS_TTL_MS = 900 * 1000;
const DEFAULT_REFRESH_TTL_MS = 2_592_000 * 1000;
const DEFAULT_IDLE_TTL_SECONDS = 604_800;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
});
afterAll(() => server.stop());

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function segments(token: string): [string, string, string] {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length) {
    throw new Error(`not a compact JWS: ${token}`);
  }
  return [header, payload, signature];
}

function sidOf(token: string): unknown {
  return decodeJwt(token).sid;
}

/** An authed call with this token (or none) must be refused with UNAUTHORIZED. */
async function expectRefused(token: string | undefined) {
  const client = token === undefined ? server.client() : clientWithToken(server, token);
  expect(await errorData(client.auth.me.query())).toMatchObject({
    code: 'UNAUTHORIZED',
    httpStatus: 401,
  });
}

async function expectAccepted(token: string, sessionId: string) {
  const me = await clientWithToken(server, token).auth.me.query();
  expect(me.session.id).toBe(sessionId);
}

function refreshWith(refreshToken: string) {
  return server.client().auth.refresh.mutate({ refreshToken });
}

async function rejection(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a TRPCClientError: ${error}`);
  return error as TRPCClientError<AppRouter>;
}

describe('auth.signIn', () => {
  it('returns the user, the session and a token pair whose expiries are Dates', async () => {
    const account = await verifiedAccount(server, 'Signer');
    const before = Date.now();
    const result = sessionOf(
      await server.client().auth.signIn.mutate({
        email: account.email,
        password: account.password,
      }),
    );
    const after = Date.now();

    expect(Object.keys(result).sort()).toEqual(
      [
        'accessToken',
        'accessTokenExpiresAt',
        'refreshToken',
        'refreshTokenExpiresAt',
        'session',
        'user',
      ].sort(),
    );
    expect(result.user).toEqual({
      id: expect.stringMatching(UUID),
      email: account.email,
      name: 'Signer',
      emailVerified: true,
      createdAt: expect.any(Date),
    });
    expect(result.session).toEqual({
      id: expect.stringMatching(UUID),
      deviceId: expect.any(String),
    });
    expect(result.session.deviceId.length).toBeGreaterThan(0);

    expect(result.accessToken).toEqual(expect.any(String));
    expect(result.accessTokenExpiresAt).toBeInstanceOf(Date);
    // The token's exp is whole seconds, so the expiry may sit up to 1 s before now + TTL.
    expect(result.accessTokenExpiresAt.getTime()).toBeGreaterThanOrEqual(
      before + DEFAULT_ACCESS_TTL_MS - 1000,
    );
    expect(result.accessTokenExpiresAt.getTime()).toBeLessThanOrEqual(
      after + DEFAULT_ACCESS_TTL_MS,
    );

    // Opaque, at least 256 bits: 32 bytes are 43 base64url characters.
    expect(result.refreshToken).toEqual(expect.any(String));
    expect(result.refreshToken.length).toBeGreaterThanOrEqual(43);
    expect(result.refreshToken).not.toBe(result.accessToken);
    expect(result.refreshTokenExpiresAt).toBeInstanceOf(Date);
    expect(result.refreshTokenExpiresAt.getTime()).toBeGreaterThan(
      result.accessTokenExpiresAt.getTime(),
    );
    expect(result.refreshTokenExpiresAt.getTime()).toBeLessThanOrEqual(
      after + DEFAULT_REFRESH_TTL_MS,
    );
  });

  it('issues an HS256 JWT carrying sub, sid, iat, exp, iss and aud', async () => {
    const account = await verifiedAccount(server);
    const result = sessionOf(
      await server.client().auth.signIn.mutate({
        email: account.email,
        password: account.password,
      }),
    );
    expect(decodeProtectedHeader(result.accessToken).alg).toBe('HS256');
    const claims = decodeJwt(result.accessToken);
    expect(claims).toMatchObject({
      sub: result.user.id,
      sid: result.session.id,
      iss: 'cryptweb',
      aud: 'cryptweb',
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    const { iat, exp } = claims;
    if (iat === undefined || exp === undefined) throw new Error('iat and exp are required');
    expect(exp - iat).toBe(DEFAULT_ACCESS_TTL_MS / 1000);
    expect(exp * 1000).toBe(result.accessTokenExpiresAt.getTime());
    expect(Math.abs(iat * 1000 - Date.now())).toBeLessThan(5000);
  });

  it('refuses a wrong password and an unknown email with the same INVALID_CREDENTIALS error', async () => {
    const account = await verifiedAccount(server);
    const wrongPassword = await rejection(
      server.client().auth.signIn.mutate({ email: account.email, password: 'not the password' }),
    );
    const unknownEmail = await rejection(
      server.client().auth.signIn.mutate({
        email: `nobody.${randomBytes(4).toString('hex')}@example.test`,
        password: 'not the password',
      }),
    );
    for (const error of [wrongPassword, unknownEmail]) {
      expect(error.data).toMatchObject({
        code: 'UNAUTHORIZED',
        httpStatus: 401,
        reason: 'INVALID_CREDENTIALS',
      });
    }
    expect(unknownEmail.message).toBe(wrongPassword.message);
    // Everything but the stack (present outside production) must be indistinguishable.
    const { stack: _a, ...wrongData } = wrongPassword.data ?? {};
    const { stack: _b, ...unknownData } = unknownEmail.data ?? {};
    expect(unknownData).toEqual(wrongData);
    expect(Object.keys(unknownEmail.shape ?? {}).sort()).toEqual(
      Object.keys(wrongPassword.shape ?? {}).sort(),
    );
  });

  it('compares the email case-insensitively, trimmed', async () => {
    const account = await verifiedAccount(server, 'CaseTest');
    const result = sessionOf(
      await server.client().auth.signIn.mutate({
        email: `  ${account.email.toUpperCase()} `,
        password: account.password,
      }),
    );
    expect(result.user.email).toBe(account.email);
    await expectAccepted(result.accessToken, result.session.id);
  });

  it('shows the device name given at sign-in in sessions.list', async () => {
    const account = await verifiedAccount(server);
    const result = sessionOf(
      await server.client().auth.signIn.mutate({
        email: account.email,
        password: account.password,
        device: { name: 'Work laptop' },
      }),
    );
    const list = await clientWithToken(server, result.accessToken).sessions.list.query();
    const mine = list.find((session) => session.id === result.session.id);
    expect(mine?.device.name).toBe('Work laptop');
    expect(mine?.deviceId).toBe(result.session.deviceId);
  });
});

describe('auth.me', () => {
  it('returns the user and the current session', async () => {
    const user = await signedInUser(server, { name: 'Meister' });
    const me = await user.client.auth.me.query();
    expect(me.user).toEqual({
      id: user.userId,
      email: user.email,
      name: 'Meister',
      emailVerified: true,
      createdAt: expect.any(Date),
    });
    expect(me.session).toMatchObject({ id: user.sessionId, current: true });
    expect(me.session.createdAt).toBeInstanceOf(Date);
    expect(me.session.expiresAt).toBeInstanceOf(Date);
  });
});

describe('access tokens that are refused with UNAUTHORIZED', () => {
  it('no token at all', async () => {
    await expectRefused(undefined);
  });

  it('garbage', async () => {
    await expectRefused('garbage');
    await expectRefused('a.b.c');
  });

  it('alg:none with the real claims and no signature', async () => {
    const user = await signedInUser(server);
    const [, payload] = segments(user.accessToken);
    await expectRefused(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`);
    await expectRefused(`${b64url({ alg: 'none' })}.${payload}.`);
    await expectAccepted(user.accessToken, user.sessionId);
  });

  it('signed with another key, all claims right', async () => {
    const user = await signedInUser(server);
    const forge = (key: Uint8Array) =>
      new SignJWT({ sid: user.sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.userId)
        .setIssuer('cryptweb')
        .setAudience('cryptweb')
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(key);
    const otherKey = new TextEncoder().encode('another-secret-that-is-also-32-bytes-or-more');
    await expectRefused(await forge(otherKey));
    // The same claims under the server's own key pass: only the key made the difference.
    await expectAccepted(await forge(server.app.deps.keys.jwt), user.sessionId);
  });

  it('expired', async () => {
    const shortLived = await startTestServer({
      env: { RATE_LIMITS, ACCESS_TOKEN_TTL_SECONDS: '2' },
    });
    try {
      const user = await signedInUser(shortLived);
      const claims = decodeJwt(user.accessToken);
      // Two seconds: at least one whole second of life, whatever the fraction at issue time.
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(2);
      // Accepted while fresh (the server now remembers it as verified), refused once expired.
      expect((await user.client.auth.me.query()).session.id).toBe(user.sessionId);
      await sleep(3000);
      const data = await errorData(user.client.auth.me.query());
      expect(data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
      // The session itself is alive: only the token's age got it refused.
      const pair = await shortLived.client().auth.refresh.mutate({
        refreshToken: user.refreshToken,
      });
      expect(sidOf(pair.accessToken)).toBe(user.sessionId);
    } finally {
      await shortLived.stop();
    }
  });

  it('a payload tampered to another user and session, signature kept', async () => {
    const alice = await signedInUser(server, { name: 'Alice' });
    const bob = await signedInUser(server, { name: 'Bob' });
    const [header, payload, signature] = segments(alice.accessToken);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    await expectRefused(`${header}.${b64url({ ...claims, sub: bob.userId })}.${signature}`);
    await expectRefused(`${header}.${b64url({ ...claims, sid: bob.sessionId })}.${signature}`);
    await expectRefused(
      `${header}.${b64url({ ...claims, sub: bob.userId, sid: bob.sessionId })}.${signature}`,
    );
    await expectRefused(
      `${header}.${b64url({ ...claims, exp: (Number(claims.exp) || 0) + 86_400 })}.${signature}`,
    );
    await expectAccepted(alice.accessToken, alice.sessionId);
    await expectAccepted(bob.accessToken, bob.sessionId);
  });
});

describe('auth.refresh', () => {
  it('returns a new pair and rotates the refresh token every time', async () => {
    const user = await signedInUser(server);
    const first = await refreshWith(user.refreshToken);
    expect(Object.keys(first).sort()).toEqual(
      ['accessToken', 'accessTokenExpiresAt', 'refreshToken', 'refreshTokenExpiresAt'].sort(),
    );
    expect(first.accessTokenExpiresAt).toBeInstanceOf(Date);
    expect(first.refreshTokenExpiresAt).toBeInstanceOf(Date);
    expect(first.refreshToken).not.toBe(user.refreshToken);
    expect(sidOf(first.accessToken)).toBe(user.sessionId);

    const second = await refreshWith(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshToken).not.toBe(user.refreshToken);
    expect(sidOf(second.accessToken)).toBe(user.sessionId);

    // The earlier access token lives until its own expiry; the new one works too.
    await expectAccepted(user.accessToken, user.sessionId);
    await expectAccepted(first.accessToken, user.sessionId);
    await expectAccepted(second.accessToken, user.sessionId);
  });

  it('never extends the absolute session lifetime', async () => {
    const user = await signedInUser(server);
    const before = await user.client.auth.me.query();
    const pair = await refreshWith(user.refreshToken);
    const after = await clientWithToken(server, pair.accessToken).auth.me.query();
    expect(after.session.expiresAt.getTime()).toBe(before.session.expiresAt.getTime());
    expect(pair.refreshTokenExpiresAt.getTime()).toBeLessThanOrEqual(
      before.session.expiresAt.getTime(),
    );
  });

  it('presenting the just-rotated token again within 10 s gets a valid pair for the same session', async () => {
    const user = await signedInUser(server);
    const first = await refreshWith(user.refreshToken);
    const retry = await refreshWith(user.refreshToken);
    expect(sidOf(retry.accessToken)).toBe(sidOf(first.accessToken));
    expect(sidOf(retry.accessToken)).toBe(user.sessionId);
    expect(retry.refreshToken).not.toBe(first.refreshToken);
    await expectAccepted(retry.accessToken, user.sessionId);

    const fromFirst = await refreshWith(first.refreshToken);
    const fromRetry = await refreshWith(retry.refreshToken);
    expect(sidOf(fromFirst.accessToken)).toBe(user.sessionId);
    expect(sidOf(fromRetry.accessToken)).toBe(user.sessionId);
    await expectAccepted(fromFirst.accessToken, user.sessionId);
  });

  it('an already-rotated token presented after 10 s is REFRESH_REUSED and revokes the whole session', async () => {
    const account = await verifiedAccount(server);
    const victim = await signInAs(server, account);
    const otherDevice = await signInAs(server, account);
    const newest = await refreshWith(victim.refreshToken);

    await sleep(11_000);

    expect(await errorData(refreshWith(victim.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_REUSED',
    });
    await expectRefused(victim.accessToken);
    await expectRefused(newest.accessToken);
    expect(await errorData(refreshWith(newest.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
    });
    // Only that session: the same user's other device is untouched.
    const list = await otherDevice.client.sessions.list.query();
    expect(list.map((session) => session.id)).toEqual([otherDevice.sessionId]);
  });

  it('an unknown refresh token is REFRESH_INVALID', async () => {
    expect(await errorData(refreshWith(randomBytes(32).toString('base64url')))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_INVALID',
    });
  });

  it('no refresh token at all (neither input nor cookie) is REFRESH_INVALID', async () => {
    expect(await errorData(server.client().auth.refresh.mutate({}))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_INVALID',
    });
  });

  it("a revoked session's refresh token is refused", async () => {
    const account = await verifiedAccount(server);
    const target = await signInAs(server, account);
    const other = await signInAs(server, account);
    await other.client.sessions.revoke.mutate({ sessionId: target.sessionId });
    expect(await errorData(refreshWith(target.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_INVALID',
    });
  });

  it('past the absolute lifetime: REFRESH_EXPIRED and the access token is refused', async () => {
    // REFRESH_TOKEN_TTL_SECONDS cannot go below 60 s, so the session's end is moved instead.
    const user = await signedInUser(server);
    await server.app.deps.db
      .update(sessions)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(sessions.id, user.sessionId));
    expect(await errorData(refreshWith(user.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_EXPIRED',
    });
    await expectRefused(user.accessToken);
  });

  it('idle for longer than SESSION_IDLE_TTL_SECONDS: REFRESH_EXPIRED and the access token is refused', async () => {
    const user = await signedInUser(server);
    await server.app.deps.db
      .update(sessions)
      .set({
        lastUsedAt: sql`now() - make_interval(secs => ${DEFAULT_IDLE_TTL_SECONDS + 60})`,
      })
      .where(eq(sessions.id, user.sessionId));
    await expectRefused(user.accessToken);
    expect(await errorData(refreshWith(user.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_EXPIRED',
    });
  });

  it('five concurrent refreshes of one token all succeed and the session stays alive', async () => {
    const user = await signedInUser(server);
    // Separate clients, so the five are separate HTTP requests rather than one batch.
    const pairs = await Promise.all(
      Array.from({ length: 5 }, () =>
        server.client().auth.refresh.mutate({ refreshToken: user.refreshToken }),
      ),
    );
    for (const pair of pairs) expect(sidOf(pair.accessToken)).toBe(user.sessionId);
    expect(new Set(pairs.map((pair) => pair.refreshToken)).size).toBe(5);

    await expectAccepted(user.accessToken, user.sessionId);
    for (const pair of pairs) {
      const next = await refreshWith(pair.refreshToken);
      await expectAccepted(next.accessToken, user.sessionId);
    }
    const list = await user.client.sessions.list.query();
    expect(list.map((session) => session.id)).toContain(user.sessionId);
  });
});

describe('auth.signOut', () => {
  it('returns the session id; that access token and refresh token are refused afterwards', async () => {
    const account = await verifiedAccount(server);
    const leaving = await signInAs(server, account);
    const staying = await signInAs(server, account);

    expect(await leaving.client.auth.signOut.mutate()).toEqual({ sessionId: leaving.sessionId });

    await expectRefused(leaving.accessToken);
    expect(await errorData(refreshWith(leaving.refreshToken))).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'REFRESH_INVALID',
    });
    await expectAccepted(staying.accessToken, staying.sessionId);
  });
});

describe('sessions.list never leaks tokens', () => {
  it('no refresh token, access token or their hashes appear in the output', async () => {
    const account = await verifiedAccount(server);
    const first = await signInAs(server, account);
    const second = await signInAs(server, account);
    const rotated = await refreshWith(first.refreshToken);

    const text = JSON.stringify(await second.client.sessions.list.query());
    expect(text).toContain(first.sessionId);
    expect(text).toContain(second.sessionId);
    const secrets = [
      first.refreshToken,
      second.refreshToken,
      rotated.refreshToken,
      first.accessToken,
      second.accessToken,
      rotated.accessToken,
    ];
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      for (const encoding of ['base64url', 'base64', 'hex'] as const) {
        expect(text).not.toContain(createHash('sha256').update(secret).digest(encoding));
      }
    }
    expect(text).not.toMatch(/token|hash/i);
  });
});
