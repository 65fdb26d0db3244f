import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCryptwebClient, memoryTokenStore } from '../src/index.js';
import { clientError, PASSWORD, signedIn, signedInClient } from './support/accounts.js';
import { mailedCode, startServer, type TestServer, uniqueEmail } from './support/server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the access token has expired and the clock has just passed a whole second. Tokens
 * carry whole-second `exp`, so with a 1 s TTL a token minted late in a second lives only until the
 * next one: starting right after the boundary gives the refreshed token most of a second.
 */
async function expireAccessToken() {
  await sleep(2_000);
  await sleep(1_000 - (Date.now() % 1_000) + 20);
}

function refreshCount(server: TestServer): number {
  return server.requestPaths().filter((path) => path === '/trpc/auth.refresh').length;
}

describe('accounts through the SDK', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('signs up, verifies, signs in into the token store, reads me, and signs out', async () => {
    const store = memoryTokenStore();
    const client = createCryptwebClient({ url: `${server.url}/`, tokenStore: store });
    const email = uniqueEmail('flow');

    const { user } = await client.auth.signUp.mutate({ name: 'Flow', email, password: PASSWORD });
    expect(user).toMatchObject({ email, name: 'Flow', emailVerified: false });
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(await store.get()).toBeNull();

    const code = await mailedCode(server.dataDir, email);
    expect(await client.auth.verifyEmail.mutate({ email, code })).toEqual({
      verified: true,
      alreadyVerified: false,
    });

    const wrong = await clientError(
      client.auth.signIn.mutate({ email, password: 'not the password at all' }),
    );
    expect(wrong.data?.code).toBe('UNAUTHORIZED');
    expect(wrong.data?.reason).toBe('INVALID_CREDENTIALS');
    expect(await store.get()).toBeNull();

    const signIn = signedIn(
      await client.auth.signIn.mutate({
        email,
        password: PASSWORD,
        device: { name: 'vitest' },
      }),
    );
    expect(await store.get()).toEqual({
      accessToken: signIn.accessToken,
      refreshToken: signIn.refreshToken,
    });

    const me = await client.auth.me.query();
    expect(me.user).toMatchObject({ id: user.id, email, emailVerified: true });
    expect(me.session.id).toBe(signIn.session.id);

    expect(await client.auth.signOut.mutate()).toEqual({ sessionId: signIn.session.id });
    expect(await store.get()).toBeNull();
    const after = await clientError(client.auth.me.query());
    expect(after.data?.code).toBe('UNAUTHORIZED');
    await client.close();
  });

  it('shares one refresh among concurrent refreshTokens() calls and keeps the rotated tokens', async () => {
    const { client } = await signedInClient(server);
    const before = await client.tokenStore.get();
    const refreshesBefore = refreshCount(server);

    const results = await Promise.all(Array.from({ length: 5 }, () => client.refreshTokens()));

    expect(results).toEqual([true, true, true, true, true]);
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    // Within one second the new access token may equal the old (same claims); the refresh
    // token is always rotated.
    const after = await client.tokenStore.get();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect((await client.auth.me.query()).user.email).toBeTruthy();
  });

  // SPEC §6.1 "Batches": the server refuses an HTTP batch over MAX_BATCH_SIZE (20) whole.
  it('splits more calls than one batch may carry into batches the server accepts', async () => {
    const { client, sessionId } = await signedInClient(server, { name: 'Batcher' });
    const requestsBefore = server.requestPaths().length;

    const sessionIds = await Promise.all(
      Array.from({ length: 45 }, () => client.auth.me.query().then((me) => me.session.id)),
    );

    expect(sessionIds).toEqual(Array.from({ length: 45 }, () => sessionId));
    const batches = server
      .requestPaths()
      .slice(requestsBefore)
      .filter((path) => path.startsWith('/trpc/auth.me'));
    expect(batches.length).toBe(3);
  });

  it('surfaces the original UNAUTHORIZED when the refresh fails, and clears nothing', async () => {
    const phone = await signedInClient(server, { name: 'Revoked' });
    const laptop = await signedInClient(server, { account: phone.account });
    const phoneTokens = await phone.client.tokenStore.get();
    const laptopTokens = await laptop.client.tokenStore.get();
    await laptop.client.sessions.revoke.mutate({ sessionId: phone.sessionId });
    const refreshesBefore = refreshCount(server);

    const errors = await Promise.all([
      clientError(phone.client.auth.me.query()),
      clientError(phone.client.sessions.list.query()),
      clientError(phone.client.transfers.stats.query()),
    ]);

    // The refresh was tried once for all three, failed, and each call got its own error back.
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    expect(errors.map((error) => error.data?.code)).toEqual([
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'UNAUTHORIZED',
    ]);
    expect(errors.map((error) => error.data?.path)).toEqual([
      'auth.me',
      'sessions.list',
      'transfers.stats',
    ]);
    for (const error of errors) expect(error.data?.reason).not.toMatch(/^REFRESH_/);

    // The SDK neither drops nor overwrites tokens on a failed refresh; the other device is intact.
    expect(await phone.client.tokenStore.get()).toEqual(phoneTokens);
    expect(await laptop.client.tokenStore.get()).toEqual(laptopTokens);
    expect((await laptop.client.auth.me.query()).session.id).toBe(laptop.sessionId);
  });
});

describe('single-flight refresh of an expired access token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: '1' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 10 concurrent expired calls with exactly one auth.refresh, then retries them', async () => {
    const { client, sessionId } = await signedInClient(server);
    const before = await client.tokenStore.get();
    await expireAccessToken();
    const refreshesBefore = refreshCount(server);

    const calls = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? client.auth.me.query().then((me) => me.session.id)
        : client.sessions.list.query().then((list) => list.find((s) => s.current)?.id),
    );
    const sessionIds = await Promise.all(calls);

    expect(sessionIds).toEqual(Array.from({ length: 10 }, () => sessionId));
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    const after = await client.tokenStore.get();
    expect(after?.accessToken).not.toBe(before?.accessToken);
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
  });

  it('refreshes once when the expired calls travel in separate requests', async () => {
    const { client, sessionId } = await signedInClient(server);
    await expireAccessToken();
    const refreshesBefore = refreshCount(server);
    const requestsBefore = server.requestPaths().length;

    // Staggered starts split the calls over several HTTP batches whose errors come back apart.
    const calls = Array.from({ length: 10 }, (_, i) =>
      sleep(i * 3).then(() => client.auth.me.query().then((me) => me.session.id)),
    );
    const sessionIds = await Promise.all(calls);

    expect(sessionIds).toEqual(Array.from({ length: 10 }, () => sessionId));
    expect(refreshCount(server) - refreshesBefore).toBe(1);
    const meRequests = server
      .requestPaths()
      .slice(requestsBefore)
      .filter((path) => path.startsWith('/trpc/auth.me'));
    expect(meRequests.length).toBeGreaterThan(2);
  });
});
