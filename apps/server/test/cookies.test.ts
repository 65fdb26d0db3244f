import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifiedAccount } from './support/accounts.js';
import { fetchJson, type Json } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';

const RATE_LIMITS = roomyLimits();
const AUTH_COOKIES = ['accessToken', 'refreshToken', 'deviceId'] as const;

interface SetCookie {
  value: string;
  /** Attribute names lower-cased; flags map to ''. */
  attributes: Map<string, string>;
}

/** The response's Set-Cookie headers by cookie name. */
function setCookies(headers: Headers): Map<string, SetCookie> {
  const cookies = new Map<string, SetCookie>();
  for (const line of headers.getSetCookie()) {
    const [pair = '', ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    const attributes = new Map<string, string>();
    for (const part of rest) {
      const [key = '', ...value] = part.trim().split('=');
      attributes.set(key.toLowerCase(), value.join('='));
    }
    cookies.set(pair.slice(0, eq).trim(), {
      value: decodeURIComponent(pair.slice(eq + 1).trim()),
      attributes,
    });
  }
  return cookies;
}

function cookie(cookies: Map<string, SetCookie>, name: string): SetCookie {
  const found = cookies.get(name);
  if (!found) throw new Error(`no Set-Cookie for ${name}; got ${[...cookies.keys()].join(', ')}`);
  return found;
}

/** A tRPC mutation over raw HTTP, in superjson's wire format. */
function mutation(server: TestServer, path: string, json: unknown, cookieHeader?: string) {
  return fetchJson(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(cookieHeader ? { cookie: cookieHeader } : {}),
    },
    body: JSON.stringify({ json }),
  });
}

async function signIn(server: TestServer, cookieHeader?: string) {
  const account = await verifiedAccount(server);
  const res = await mutation(
    server,
    'auth.signIn',
    { email: account.email, password: account.password },
    cookieHeader,
  );
  expect(res.status).toBe(200);
  const result: Json = res.body.result.data.json;
  return { account, res, result, cookies: setCookies(res.headers) };
}

function expired(entry: SetCookie): boolean {
  const maxAge = entry.attributes.get('max-age');
  const expires = entry.attributes.get('expires');
  return (
    (maxAge !== undefined && Number(maxAge) <= 0) ||
    (expires !== undefined && new Date(expires).getTime() < Date.now())
  );
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS, CORS_ORIGINS: 'http://app.test' } });
});
afterAll(() => server.stop());

describe('cookies set by auth.signIn', () => {
  it('sets accessToken, refreshToken and deviceId: HttpOnly, SameSite=Lax, not Secure on plain-http development', async () => {
    const { result, cookies } = await signIn(server);
    expect(cookie(cookies, 'accessToken').value).toBe(result.accessToken);
    expect(cookie(cookies, 'refreshToken').value).toBe(result.refreshToken);
    expect(cookie(cookies, 'deviceId').value).toBe(result.session.deviceId);
    for (const name of AUTH_COOKIES) {
      const { attributes } = cookie(cookies, name);
      expect(attributes.has('httponly'), `${name} HttpOnly`).toBe(true);
      expect(attributes.get('samesite')?.toLowerCase(), `${name} SameSite`).toBe('lax');
      expect(attributes.has('secure'), `${name} Secure`).toBe(false);
      expect(attributes.get('path'), `${name} Path`).toBe('/');
    }
    // The access-token cookie lives as long as the token (900 s by default).
    const maxAge = Number(cookie(cookies, 'accessToken').attributes.get('max-age'));
    expect(maxAge).toBeGreaterThan(890);
    expect(maxAge).toBeLessThanOrEqual(900);
  });

  it('are Secure when APP_URL is https', async () => {
    const secure = await startTestServer({ env: { RATE_LIMITS, APP_URL: 'https://app.test' } });
    try {
      const { cookies } = await signIn(secure);
      for (const name of AUTH_COOKIES) {
        const { attributes } = cookie(cookies, name);
        expect(attributes.has('secure'), `${name} Secure`).toBe(true);
        expect(attributes.has('httponly'), `${name} HttpOnly`).toBe(true);
        expect(attributes.get('samesite')?.toLowerCase(), `${name} SameSite`).toBe('lax');
      }
    } finally {
      await secure.stop();
    }
  });
});

describe('authenticating with cookies', () => {
  it('the accessToken cookie alone (no Authorization header) authenticates GET /trpc/auth.me', async () => {
    const { account, result } = await signIn(server);
    const res = await fetchJson(`${server.url}/trpc/auth.me`, {
      headers: { cookie: `accessToken=${result.accessToken}` },
    });
    expect(res.status).toBe(200);
    const me: Json = res.body.result.data.json;
    expect(me.user.email).toBe(account.email);
    expect(me.session).toMatchObject({ id: result.session.id, current: true });

    const anonymous = await fetchJson(`${server.url}/trpc/auth.me`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.json.data).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
    });
  });

  /** Refreshes with only the refreshToken cookie and checks the rotated pair and its cookies. */
  async function refreshByCookie(json: unknown) {
    const { result } = await signIn(server);
    let current: string = result.refreshToken;
    // Twice: the rotated cookie must itself work for the next refresh.
    for (let round = 0; round < 2; round++) {
      const res = await mutation(server, 'auth.refresh', json, `refreshToken=${current}`);
      expect(res.body.error?.json.data).toBeUndefined();
      expect(res.status).toBe(200);
      const pair: Json = res.body.result.data.json;
      const cookies = setCookies(res.headers);
      expect(pair.refreshToken).not.toBe(current);
      expect(cookie(cookies, 'refreshToken').value).toBe(pair.refreshToken);
      expect(cookie(cookies, 'accessToken').value).toBe(pair.accessToken);
      // SPEC §5: refresh sets the deviceId cookie too, with the session's device id.
      expect(cookie(cookies, 'deviceId').value).toBe(result.session.deviceId);
      for (const name of ['accessToken', 'refreshToken']) {
        const entry = cookie(cookies, name);
        expect(entry.attributes.has('httponly'), `${name} HttpOnly`).toBe(true);
        expect(entry.attributes.get('samesite')?.toLowerCase(), `${name} SameSite`).toBe('lax');
        expect(expired(entry), `${name} expired`).toBe(false);
      }
      const me = await fetchJson(`${server.url}/trpc/auth.me`, {
        headers: { cookie: `accessToken=${pair.accessToken}` },
      });
      expect(me.status).toBe(200);
      expect(me.body.result.data.json.session.id).toBe(result.session.id);
      current = pair.refreshToken;
    }
  }

  it('auth.refresh with {"json":{}} and only the refreshToken cookie rotates and sets new cookies', async () => {
    await refreshByCookie({});
  });

  it('auth.refresh with {"json":null} and only the refreshToken cookie rotates and sets new cookies', async () => {
    await refreshByCookie(null);
  });
});

describe('auth.signOut over HTTP', () => {
  it('clears accessToken and refreshToken, keeps deviceId', async () => {
    const { result } = await signIn(server);
    const res = await mutation(
      server,
      'auth.signOut',
      null,
      `accessToken=${result.accessToken}; refreshToken=${result.refreshToken}; deviceId=${result.session.deviceId}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.result.data.json).toEqual({ sessionId: result.session.id });
    const cookies = setCookies(res.headers);
    for (const name of ['accessToken', 'refreshToken']) {
      const entry = cookie(cookies, name);
      expect(entry.value, `${name} value`).toBe('');
      expect(expired(entry), `${name} expired`).toBe(true);
      expect(entry.attributes.get('path'), `${name} Path`).toBe('/');
    }
    // The deviceId cookie is left alone, so the browser stays a known device (SPEC §6.1).
    expect(cookies.has('deviceId')).toBe(false);

    const me = await fetchJson(`${server.url}/trpc/auth.me`, {
      headers: { cookie: `accessToken=${result.accessToken}` },
    });
    expect(me.status).toBe(401);
  });

  it('signing in again with the deviceId cookie keeps the same device id', async () => {
    const first = await signIn(server);
    const deviceId: string = first.result.session.deviceId;
    const account = first.account;
    const again = await mutation(
      server,
      'auth.signIn',
      { email: account.email, password: account.password },
      `deviceId=${deviceId}`,
    );
    expect(again.status).toBe(200);
    const result: Json = again.body.result.data.json;
    expect(result.session.id).not.toBe(first.result.session.id);
    expect(result.session.deviceId).toBe(deviceId);
    expect(cookie(setCookies(again.headers), 'deviceId').value).toBe(deviceId);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/trpc/auth.signIn`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('answers a preflight from an allowed origin with 204 and credentials allowed', async () => {
    const res = await preflight('http://app.test');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('refuses a preflight from another origin with 403 and no allow-origin', async () => {
    const res = await preflight('http://evil.test');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
