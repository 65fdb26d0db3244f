import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCryptwebClient } from '../src/index.js';
import { clientError, PASSWORD, signedIn, verifiedAccount } from './support/accounts.js';
import { browserCookies } from './support/cookies.js';
import { startServer, type TestServer } from './support/server.js';

// SPEC §6.1 "Browser app": in cookie mode the SDK holds no token; the server's HttpOnly cookies
// carry the session, on HTTP and on the WebSocket.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refreshCount(server: TestServer): number {
  return server.requestPaths().filter((path) => path === '/trpc/auth.refresh').length;
}

async function cookieClient(server: TestServer, name: string) {
  const account = await verifiedAccount(server, name);
  const browser = browserCookies();
  const client = createCryptwebClient({
    url: server.url,
    auth: 'cookie',
    fetch: browser.fetch,
    WebSocket: browser.WebSocket,
  });
  return { account, browser, client };
}

describe('cookie mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('signs in, reads me and signs out on the cookies alone: no Authorization, no token kept', async () => {
    const { account, browser, client } = await cookieClient(server, 'Cookie');
    expect(client.authMode).toBe('cookie');
    expect(client.tokenStore).toBeNull();

    const signIn = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    expect(browser.cookies()).toMatchObject({
      accessToken: signIn.accessToken,
      refreshToken: signIn.refreshToken,
      deviceId: signIn.session.deviceId,
    });
    const me = await client.auth.me.query();
    expect(me.session.id).toBe(signIn.session.id);

    // The browser sends cookies only because the client asks it to; the client never sends a token.
    expect(browser.requests.map((request) => request.credentials)).toEqual(
      browser.requests.map(() => 'include'),
    );
    expect(browser.requests.filter((request) => request.authorization !== null)).toEqual([]);
    // Cookie mode sends no device id of its own: the deviceId cookie names the device.
    expect(browser.requests[0]?.body).not.toContain('"id"');

    expect(await client.auth.signOut.mutate()).toEqual({ sessionId: signIn.session.id });
    // The server cleared the session cookies; the device id stays, to be known next time.
    expect(Object.keys(browser.cookies())).toEqual(['deviceId']);
    expect((await clientError(client.auth.me.query())).data?.code).toBe('UNAUTHORIZED');

    // Signing in again from this browser keeps its device.
    const again = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    expect(again.session.deviceId).toBe(signIn.session.deviceId);
    await client.close();
  });

  it('subscribes on a WebSocket that carries the cookies, with no token in connectionParams', async () => {
    const { account, browser, client } = await cookieClient(server, 'Socket');
    const signIn = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );

    // connect() resolves once the server said `ready`: the socket is authenticated.
    const connection = await client.signaling.connect();
    expect(connection.self).toMatchObject({ email: account.email.toLowerCase() });

    expect(browser.socketUrls).toEqual([`${server.url.replace(/^http/, 'ws')}/trpc`]);
    const frames = browser.socketFrames.join('\n');
    expect(frames).toContain('signaling.events');
    expect(frames).not.toContain('connectionParams');
    expect(frames).not.toContain(signIn.accessToken);
    await client.close();
  });
});

describe('cookie mode when the access token expires', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Not 1 s: the cookie's Max-Age is whole seconds left, so a 1 s token's cookie is born expired.
    server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: '3' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers concurrent UNAUTHORIZED calls with one refresh from the cookie, then retries them', async () => {
    const { account, browser, client } = await cookieClient(server, 'Expiring');
    const signIn = signedIn(
      await client.auth.signIn.mutate({ email: account.email, password: PASSWORD }),
    );
    await sleep(3_100);
    const refreshesBefore = refreshCount(server);
    const requestsBefore = browser.requests.length;

    const sessionIds = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? client.auth.me.query().then((me) => me.session.id)
          : client.sessions.list.query().then((list) => list.find((s) => s.current)?.id),
      ),
    );

    expect(sessionIds).toEqual(Array.from({ length: 6 }, () => signIn.session.id));
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    const [refresh] = browser.requests
      .slice(requestsBefore)
      .filter((request) => request.path === '/trpc/auth.refresh');
    // No token in the body: the server read the refreshToken cookie, and rotated it.
    expect(refresh?.body).not.toContain('refreshToken');
    expect(refresh?.body).not.toContain(signIn.refreshToken);
    expect(browser.cookies().refreshToken).not.toBe(signIn.refreshToken);
    expect(await client.refreshTokens()).toBe(true);
    await client.close();
  });

  it('refreshes the cookies before a WebSocket opens on an expired one', async () => {
    const { account, client } = await cookieClient(server, 'Late');
    await client.auth.signIn.mutate({ email: account.email, password: PASSWORD });
    await sleep(3_100);
    const refreshesBefore = refreshCount(server);

    // The upgrade carries the cookies of that moment, and a subscription is never retried.
    const connection = await client.signaling.connect();
    expect(connection.self).toMatchObject({ email: account.email.toLowerCase() });
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    await client.close();
  });
});
