import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, verifiedAccount } from './support/accounts.js';
import { fetchJson } from './support/http.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';

// SPEC §6.1 CSRF: a request authenticated by our cookies runs only as application/json and, when
// it carries Origin, from an allowed one. Bearer and anonymous calls are unaffected.
const APP_URL = 'http://app.cryptweb.test';
const CORS_ORIGIN = 'http://partner.test';
const EVIL = 'http://evil.test';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { RATE_LIMITS: roomyLimits(), APP_URL, CORS_ORIGINS: CORS_ORIGIN },
  });
});
afterAll(() => server.stop());

interface Browser {
  cookie: string;
  accessToken: string;
}

/** Signs in over HTTP as a browser would and keeps the cookies it was given. */
async function browserSignedIn(): Promise<Browser> {
  const account = await verifiedAccount(server, 'Victim');
  const res = await fetch(`${server.url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { email: account.email, password: PASSWORD } }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const body = (await res.json()) as { result: { data: { json: { accessToken: string } } } };
  return { cookie, accessToken: body.result.data.json.accessToken };
}

/** True while the browser's session is alive (asked with its Bearer token, no cookie). */
async function alive(browser: Browser): Promise<boolean> {
  const res = await fetch(`${server.url}/trpc/auth.me`, {
    headers: { authorization: `Bearer ${browser.accessToken}` },
  });
  return res.status === 200;
}

function post(path: string, headers: Record<string, string>, body: string | FormData) {
  return fetchJson(`${server.url}${path}`, { method: 'POST', headers, body });
}

function formData(): FormData {
  const form = new FormData();
  form.set('includeCurrent', 'true');
  return form;
}

describe('cookie-authenticated requests from other sites (SPEC §6.1 CSRF)', () => {
  it('a multipart/form-data post (no preflight) signs nobody out: 415', async () => {
    const victim = await browserSignedIn();
    for (const path of ['/trpc/auth.signOut', '/trpc/sessions.revokeAll']) {
      const res = await post(path, { cookie: victim.cookie }, formData());
      expect(res.status, path).toBe(415);
      expect(res.body.error.json.data.reason).toBe('UNSUPPORTED_CONTENT_TYPE');
    }
    expect(await alive(victim)).toBe(true);
  });

  it('text/plain and form-urlencoded posts are refused the same way, over tRPC and REST', async () => {
    const victim = await browserSignedIn();
    const attempts = [
      ['/trpc/auth.signOut', 'text/plain', '{}'],
      ['/trpc/sessions.revokeAll', 'application/x-www-form-urlencoded', 'includeCurrent=true'],
      ['/api/v1/sessions/revoke-all', 'application/x-www-form-urlencoded', 'includeCurrent=true'],
      ['/api/v1/auth/logout', 'text/plain', '{}'],
    ] as const;
    for (const [path, type, body] of attempts) {
      const res = await post(path, { cookie: victim.cookie, 'content-type': type }, body);
      expect(res.status, `${path} as ${type}`).toBe(415);
    }
    expect(await alive(victim)).toBe(true);
  });

  it('a JSON post from a foreign origin revokes nothing: 403 CROSS_SITE_REQUEST', async () => {
    const victim = await browserSignedIn();
    for (const origin of [EVIL, 'null', `${APP_URL}.evil.test`]) {
      const res = await post(
        '/trpc/sessions.revokeAll',
        { cookie: victim.cookie, 'content-type': 'application/json', origin },
        JSON.stringify({ json: { includeCurrent: true } }),
      );
      expect(res.status, origin).toBe(403);
      expect(res.body.error.json.data.reason).toBe('CROSS_SITE_REQUEST');
    }
    const query = await fetchJson(`${server.url}/trpc/sessions.list`, {
      headers: { cookie: victim.cookie, origin: EVIL },
    });
    expect(query.status).toBe(403);
    expect(await alive(victim)).toBe(true);
  });

  it('the refresh cookie gives a foreign origin or a form post no tokens and no cookies', async () => {
    const victim = await browserSignedIn();
    const foreign = await fetch(`${server.url}/trpc/auth.refresh`, {
      method: 'POST',
      headers: { cookie: victim.cookie, 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ json: null }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.getSetCookie()).toEqual([]);
    const form = await fetch(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { cookie: victim.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(form.status).toBe(415);
    expect(form.headers.getSetCookie()).toEqual([]);
  });

  it('the app origin, a CORS origin and no origin (same-site JSON) work with cookies', async () => {
    const victim = await browserSignedIn();
    for (const origin of [APP_URL, CORS_ORIGIN]) {
      const me = await fetchJson(`${server.url}/trpc/auth.me`, {
        headers: { cookie: victim.cookie, origin },
      });
      expect(me.status, origin).toBe(200);
    }
    const refreshed = await fetch(`${server.url}/trpc/auth.refresh`, {
      method: 'POST',
      headers: {
        cookie: victim.cookie,
        'content-type': 'application/json; charset=utf-8',
        origin: APP_URL,
      },
      body: JSON.stringify({ json: null }),
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.getSetCookie().some((c) => c.startsWith('accessToken='))).toBe(true);
    const signOut = await post(
      '/trpc/auth.signOut',
      { cookie: victim.cookie, 'content-type': 'application/json' },
      '{}',
    );
    expect(signOut.status).toBe(200);
    expect(await alive(victim)).toBe(false);
  });

  it('an access token in the URL (connectionParams over HTTP) authenticates nothing', async () => {
    const victim = await browserSignedIn();
    const params = encodeURIComponent(JSON.stringify({ accessToken: victim.accessToken }));
    const res = await fetchJson(`${server.url}/trpc/auth.me?connectionParams=${params}`);
    expect(res.status).toBe(401);
  });

  it('Bearer and anonymous calls are unaffected by Origin', async () => {
    const victim = await browserSignedIn();
    const bearer = await fetchJson(`${server.url}/trpc/sessions.list`, {
      headers: { authorization: `Bearer ${victim.accessToken}`, origin: EVIL },
    });
    expect(bearer.status).toBe(200);
    const anonymous = await post(
      '/trpc/auth.forgotPassword',
      { 'content-type': 'application/json', origin: EVIL },
      JSON.stringify({ json: { email: 'nobody@example.test' } }),
    );
    expect(anonymous.status).toBe(200);
  });
});
