import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peers, refreshTokens } from '../src/db/schema.js';
import { type SignedInUser, signedInUser } from './support/accounts.js';
import { roomyLimits } from './support/limits.js';
import { startTestServer, type TestServer } from './support/server.js';
import { openRawClient, type RawClient } from './support/sig-raw.js';

/**
 * SPEC §6.1 "WebSocket origin": cross-site WebSocket hijacking. A browser attaches the victim's
 * cookies to an upgrade from any page; only the app's own origins may open a socket.
 */
const APP_ORIGIN = 'http://app.example.test';
const CORS_ORIGIN = 'http://spa.example.test';

const RATE_LIMITS = roomyLimits();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { APP_URL: `${APP_ORIGIN}/`, CORS_ORIGINS: CORS_ORIGIN, RATE_LIMITS },
  });
});
afterAll(() => server.stop());

const opened: RawClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** What a browser sends on an upgrade from a page at `origin` while the victim is signed in. */
function browserHeaders(victim: SignedInUser, origin: string) {
  return {
    origin,
    cookie: `accessToken=${victim.accessToken}; refreshToken=${victim.refreshToken}`,
  };
}

async function open(headers: Record<string, string>) {
  const client = await openRawClient(server, { answerPings: true, headers });
  opened.push(client);
  return client;
}

/** The upgrade's answer when it is not switched to a WebSocket. */
function refusedStatus(headers: Record<string, string>): Promise<number> {
  return openRawClient(server, { headers }).then(
    (client) => {
      opened.push(client);
      throw new Error('the upgrade was accepted');
    },
    (error: Error) => Number(/Unexpected server response: (\d+)/.exec(error.message)?.[1]),
  );
}

const refreshCall = (id: number) => ({
  id,
  method: 'mutation',
  params: { path: 'auth.refresh', input: { json: null } },
});

async function peersOf(userId: string) {
  return server.app.deps.db.select({ id: peers.id }).from(peers).where(eq(peers.userId, userId));
}

async function rotatedRefreshTokens(sessionId: string) {
  const rows = await server.app.deps.db
    .select({ rotatedAt: refreshTokens.rotatedAt })
    .from(refreshTokens)
    .where(eq(refreshTokens.sessionId, sessionId));
  return rows.filter((row) => row.rotatedAt !== null).length;
}

describe('WebSocket upgrades by Origin', () => {
  it.each([
    ['a foreign site', 'http://evil.example'],
    ['a look-alike host', `${APP_ORIGIN}.evil.example`],
    ['the app host over another scheme', 'https://app.example.test'],
    ['the app host on another port', `${APP_ORIGIN}:8080`],
    ['an opaque origin (sandboxed frame, file:)', 'null'],
  ])(
    'refuses %s with 403 before the upgrade, whatever cookies it carries',
    async (_label, origin) => {
      const victim = await signedInUser(server, { name: 'Victim' });

      expect(await refusedStatus(browserHeaders(victim, origin))).toBe(403);

      // No socket, so no call: nothing was refreshed with the victim's cookie, no peer opened.
      expect(await rotatedRefreshTokens(victim.sessionId)).toBe(0);
      expect(await peersOf(victim.userId)).toEqual([]);
      // The victim's own session is untouched.
      expect((await victim.client.auth.me.query()).session.id).toBe(victim.sessionId);
      // The refusal is logged for operators, with the origin and nothing of the cookies.
      expect(server.logs()).toContain('WebSocket upgrade refused: origin not allowed');
      expect(server.logs()).not.toContain(victim.accessToken);
      expect(server.logs()).not.toContain(victim.refreshToken);
    },
  );

  it('the same cookies from the app’s own origin subscribe, but never become tokens over the socket', async () => {
    const victim = await signedInUser(server, { name: 'Victim' });
    const socket = await open(browserHeaders(victim, APP_ORIGIN));

    const peerId = await socket.subscribeSignaling(1);
    expect((await peersOf(victim.userId)).map((row) => row.id)).toEqual([peerId]);

    // auth.refresh over a socket reads no cookie: the HttpOnly refresh token stays out of reach
    // of page script even on the app's own origin (it is rotated over HTTP, as a cookie).
    socket.send(refreshCall(2));
    const refreshed = await socket.reply(2);
    expect(refreshed.error?.data).toMatchObject({ reason: 'REFRESH_INVALID' });
    expect(await rotatedRefreshTokens(victim.sessionId)).toBe(0);
  });

  it('accepts an origin listed in CORS_ORIGINS', async () => {
    const user = await signedInUser(server, { name: 'Spa' });
    const socket = await open(browserHeaders(user, CORS_ORIGIN));
    const peerId = await socket.subscribeSignaling(1);
    expect(peerId).toMatch(/\S/);
  });

  it('accepts an upgrade without Origin (CLI, servers), authenticated by connectionParams', async () => {
    const user = await signedInUser(server, { name: 'Cli' });
    const client = await openRawClient(server, {
      accessToken: user.accessToken,
      answerPings: true,
    });
    opened.push(client);
    const peerId = await client.subscribeSignaling(1);
    expect((await peersOf(user.userId)).map((row) => row.id)).toEqual([peerId]);
  });
});
