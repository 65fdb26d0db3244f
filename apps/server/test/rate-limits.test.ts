import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientWithToken, PASSWORD } from './support/accounts.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.js';
import { errorData } from './support/errors.js';
import { fetchJson, type Json } from './support/http.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { sessionOf } from './support/signed-in.js';

const WRONG = 'not the password at all';

/** Small limits where SPEC §6's defaults are large; the others run at their defaults. */
const LIMITS = {
  'signIn.email': { max: 12, windowSeconds: 900 },
  'signIn.ip': { max: 15, windowSeconds: 900 },
  'signUp.ip': { max: 3, windowSeconds: 36_000 },
  'verifyEmail.ip': { max: 3, windowSeconds: 900 },
  'health.ip': { max: 5, windowSeconds: 60 },
};
const EMAIL_IP_WINDOW = 900;
const RESEND_WINDOW = 60;
const FORGOT_WINDOW = 3600;

type Raw = Awaited<ReturnType<typeof fetchJson>>;

/** A tRPC mutation over plain HTTP, so the test sees the status and headers as a proxy would. */
function rawMutation(
  server: TestServer,
  procedure: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<Raw> {
  return fetchJson(`${server.url}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ json: input }),
  });
}

function rawQuery(
  server: TestServer,
  procedure: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  return fetchJson(`${server.url}/trpc/${procedure}`, { headers });
}

/** What a refused caller sees: 429, the error data, and a Retry-After header that agrees with it. */
function expectRateLimited(res: Raw, windowSeconds: number): number {
  expect(res.status).toBe(429);
  const data: Json = res.body?.error?.json?.data;
  expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
  const retryAfter: unknown = data.retryAfterSeconds;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  return Number(retryAfter);
}

/** The typed client sees the same refusal in `TRPCClientError.data`. */
async function expectClientRateLimited(call: Promise<unknown>, windowSeconds: number) {
  const data = await errorData(call);
  expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
  expect(Number.isInteger(data.retryAfterSeconds)).toBe(true);
  expect(data.retryAfterSeconds).toBeGreaterThan(0);
  expect(data.retryAfterSeconds).toBeLessThanOrEqual(windowSeconds);
}

let ipCounter = 0;
/** A fresh client address per call, so each test has IP-keyed counters of its own. */
function nextIp(): string {
  ipCounter += 1;
  return `10.77.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}
const from = (forwardedFor: string) => ({ 'x-forwarded-for': forwardedFor });

describe('rate limits (SPEC §6) behind a trusted proxy', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { TRUST_PROXY: 'true', RATE_LIMITS: JSON.stringify(LIMITS) },
    });
  });
  afterAll(() => server?.stop());

  /** Signs up and verifies from an address of its own, leaving the test's addresses untouched. */
  async function unverifiedAccount() {
    const email = uniqueEmail('limits');
    await server
      .client(from(nextIp()))
      .auth.signUp.mutate({ name: 'Limiter', email, password: PASSWORD });
    return { email, password: PASSWORD };
  }

  async function verifiedAccount() {
    const account = await unverifiedAccount();
    const mail = await waitForMail(server.dataDir, account.email, 'verify-email');
    await server
      .client(from(nextIp()))
      .auth.verifyEmail.mutate({ email: account.email, code: mail.code ?? '' });
    return account;
  }

  describe('signIn.emailIp', () => {
    it('5 failed attempts for one email from one IP refuse the 6th, even with the right password', async () => {
      const account = await verifiedAccount();
      const ip = nextIp();
      const client = server.client(from(ip));
      for (let i = 0; i < 5; i++) {
        const data = await errorData(
          client.auth.signIn.mutate({ email: account.email, password: WRONG }),
        );
        expect(data.reason).toBe('INVALID_CREDENTIALS');
      }

      expectRateLimited(
        await rawMutation(server, 'auth.signIn', account, from(ip)),
        EMAIL_IP_WINDOW,
      );
      await expectClientRateLimited(client.auth.signIn.mutate(account), EMAIL_IP_WINDOW);

      // Another email from the same IP is unaffected.
      const other = await verifiedAccount();
      const signedIn = sessionOf(await client.auth.signIn.mutate(other));
      expect(signedIn.user.email).toBe(other.email);

      // The same email from another IP is unaffected: one stranger cannot lock the owner out.
      const owner = sessionOf(await server.client(from(nextIp())).auth.signIn.mutate(account));
      expect(owner.user.email).toBe(account.email);
    });

    it('concurrent wrong guesses get no more than 5 answers before the refusal', async () => {
      const account = await verifiedAccount();
      const ip = nextIp();
      // 12 separate requests at once: under signIn.ip (15), and signIn.email refuses only the 13th.
      const responses = await Promise.all(
        Array.from({ length: 12 }, () =>
          rawMutation(server, 'auth.signIn', { email: account.email, password: WRONG }, from(ip)),
        ),
      );
      const statuses = responses.map((res) => res.status);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      expectRateLimited(
        await rawMutation(server, 'auth.signIn', account, from(ip)),
        EMAIL_IP_WINDOW,
      );
    });

    it('a successful sign-in before the limit starts the count again', async () => {
      const account = await verifiedAccount();
      const client = server.client(from(nextIp()));
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 4; i++) {
          const data = await errorData(
            client.auth.signIn.mutate({ email: account.email, password: WRONG }),
          );
          expect(data.reason).toBe('INVALID_CREDENTIALS');
        }
        // Without the reset, the second round would stand at 8 failures and be refused.
        const signedIn = sessionOf(await client.auth.signIn.mutate(account));
        expect(signedIn.user.email).toBe(account.email);
      }
    });
  });

  describe('signIn.email', () => {
    it('failures from several IPs add up to the per-email limit', async () => {
      const account = await verifiedAccount();
      const max = LIMITS['signIn.email'].max;
      // 4 failures per IP stay under signIn.emailIp (5), so only the per-email sum can refuse.
      for (let done = 0; done < max; done += 4) {
        const client = server.client(from(nextIp()));
        for (let i = 0; i < 4; i++) {
          const data = await errorData(
            client.auth.signIn.mutate({ email: account.email, password: WRONG }),
          );
          expect(data.reason).toBe('INVALID_CREDENTIALS');
        }
      }

      const fresh = nextIp();
      expectRateLimited(
        await rawMutation(server, 'auth.signIn', account, from(fresh)),
        LIMITS['signIn.email'].windowSeconds,
      );
      await expectClientRateLimited(
        server.client(from(fresh)).auth.signIn.mutate(account),
        LIMITS['signIn.email'].windowSeconds,
      );
    });

    it('the right-most X-Forwarded-For entry is the client IP', async () => {
      const account = await verifiedAccount();
      const spoofed = '203.0.113.7';
      const a = nextIp();
      const b = nextIp();
      const viaA = server.client(from(`${spoofed}, ${a}`));
      for (let i = 0; i < 5; i++) {
        const data = await errorData(
          viaA.auth.signIn.mutate({ email: account.email, password: WRONG }),
        );
        expect(data.reason).toBe('INVALID_CREDENTIALS');
      }

      // Another client-supplied prefix before the same proxy-appended address: still refused.
      expectRateLimited(
        await rawMutation(server, 'auth.signIn', account, from(`198.18.0.1, ${a}`)),
        EMAIL_IP_WINDOW,
      );

      // The same prefix before another proxy-appended address: another client, signed in.
      const headers = from(`${spoofed}, ${b}`);
      const signedIn = sessionOf(await server.client(headers).auth.signIn.mutate(account));
      expect(signedIn.user.email).toBe(account.email);
      const sessions = await clientWithToken(
        server,
        signedIn.accessToken,
        headers,
      ).sessions.list.query();
      expect(sessions.find((session) => session.current)?.ip).toBe(b);
    });
  });

  describe('signIn.ip', () => {
    it('counts every attempt from an IP, successful or not', async () => {
      const account = await verifiedAccount();
      const ip = nextIp();
      const client = server.client(from(ip));
      const { max, windowSeconds } = LIMITS['signIn.ip'];
      for (let i = 0; i < 5; i++) {
        const signedIn = sessionOf(await client.auth.signIn.mutate(account));
        expect(signedIn.user.email).toBe(account.email);
      }
      // Distinct emails, so no per-email counter gets anywhere near its limit.
      for (let i = 5; i < max; i++) {
        const data = await errorData(
          client.auth.signIn.mutate({ email: uniqueEmail('stranger'), password: WRONG }),
        );
        expect(data.reason).toBe('INVALID_CREDENTIALS');
      }

      expectRateLimited(await rawMutation(server, 'auth.signIn', account, from(ip)), windowSeconds);
      await expectClientRateLimited(client.auth.signIn.mutate(account), windowSeconds);

      const elsewhere = sessionOf(await server.client(from(nextIp())).auth.signIn.mutate(account));
      expect(elsewhere.user.email).toBe(account.email);
    });
  });

  describe('signUp.ip', () => {
    it('refuses sign-ups from an IP past the limit; the refused email is still free', async () => {
      const ip = nextIp();
      const client = server.client(from(ip));
      const { max, windowSeconds } = LIMITS['signUp.ip'];
      for (let i = 0; i < max; i++) {
        const { user } = await client.auth.signUp.mutate({
          name: 'Signup',
          email: uniqueEmail('signup'),
          password: PASSWORD,
        });
        expect(user.emailVerified).toBe(false);
      }

      const refused = { name: 'Signup', email: uniqueEmail('signup'), password: PASSWORD };
      expectRateLimited(await rawMutation(server, 'auth.signUp', refused, from(ip)), windowSeconds);
      await expectClientRateLimited(
        client.auth.signUp.mutate({ ...refused, email: uniqueEmail('signup') }),
        windowSeconds,
      );

      // No account was made for the refused request, and another IP may sign up.
      const { user } = await server.client(from(nextIp())).auth.signUp.mutate(refused);
      expect(user.email).toBe(refused.email);
    });
  });

  describe('verifyEmail.ip', () => {
    it('refuses code checks from an IP past the limit, even with the right code', async () => {
      const account = await unverifiedAccount();
      const { code = '' } = await waitForMail(server.dataDir, account.email, 'verify-email');
      expect(code).toMatch(/^\d{6}$/);
      const wrong = code === '000000' ? '111111' : '000000';
      const ip = nextIp();
      const client = server.client(from(ip));
      const { max, windowSeconds } = LIMITS['verifyEmail.ip'];
      for (let i = 0; i < max; i++) {
        const data = await errorData(
          client.auth.verifyEmail.mutate({ email: account.email, code: wrong }),
        );
        expect(data.reason).toBe('CODE_INVALID');
      }

      expectRateLimited(
        await rawMutation(server, 'auth.verifyEmail', { email: account.email, code }, from(ip)),
        windowSeconds,
      );
      await expectClientRateLimited(
        client.auth.verifyEmail.mutate({ email: account.email, code }),
        windowSeconds,
      );

      // The code itself survived: from another IP it verifies the account.
      const result = await server
        .client(from(nextIp()))
        .auth.verifyEmail.mutate({ email: account.email, code });
      expect(result).toEqual({ verified: true, alreadyVerified: false });
    });
  });

  describe('resendVerification.email', () => {
    it('allows one resend per email per 60 s, from any IP, known or unknown email alike', async () => {
      const account = await unverifiedAccount();
      const unknown = uniqueEmail('nobody');
      for (const email of [account.email, unknown]) {
        const client = server.client(from(nextIp()));
        expect(await client.auth.resendVerification.mutate({ email })).toEqual({ ok: true });
        expectRateLimited(
          await rawMutation(server, 'auth.resendVerification', { email }, from(nextIp())),
          RESEND_WINDOW,
        );
        await expectClientRateLimited(
          client.auth.resendVerification.mutate({ email }),
          RESEND_WINDOW,
        );
      }
      // The resend did send a second code to the real account.
      await waitForMail(server.dataDir, account.email, 'verify-email', 2);

      const other = await unverifiedAccount();
      expect(
        await server.client(from(nextIp())).auth.resendVerification.mutate({ email: other.email }),
      ).toEqual({ ok: true });
    });
  });

  describe('forgotPassword.email', () => {
    it('allows 5 requests per email per hour, from any IP, known or unknown email alike', async () => {
      const account = await unverifiedAccount();
      const unknown = uniqueEmail('nobody');
      for (const email of [account.email, unknown]) {
        for (let i = 0; i < 5; i++) {
          const client = server.client(from(nextIp()));
          expect(await client.auth.forgotPassword.mutate({ email })).toEqual({ ok: true });
        }
        expectRateLimited(
          await rawMutation(server, 'auth.forgotPassword', { email }, from(nextIp())),
          FORGOT_WINDOW,
        );
        await expectClientRateLimited(
          server.client(from(nextIp())).auth.forgotPassword.mutate({ email }),
          FORGOT_WINDOW,
        );
      }

      const other = await unverifiedAccount();
      expect(
        await server.client(from(nextIp())).auth.forgotPassword.mutate({ email: other.email }),
      ).toEqual({ ok: true });
    });
  });

  describe('health.ip', () => {
    it('limits health.check per IP, but never /healthz or /readyz', async () => {
      const ip = nextIp();
      const client = server.client(from(ip));
      const { max, windowSeconds } = LIMITS['health.ip'];
      for (let i = 0; i < max; i++) {
        const report = await client.health.check.query();
        expect(report.database.status).toBe('healthy');
      }

      expectRateLimited(await rawQuery(server, 'health.check', from(ip)), windowSeconds);
      await expectClientRateLimited(client.health.check.query(), windowSeconds);

      for (let i = 0; i < max + 2; i++) {
        const healthz = await fetch(`${server.url}/healthz`, { headers: from(ip) });
        expect(healthz.status).toBe(200);
        expect(healthz.headers.get('retry-after')).toBeNull();
        const readyz = await fetch(`${server.url}/readyz`, { headers: from(ip) });
        expect(readyz.status).toBe(200);
        expect(readyz.headers.get('retry-after')).toBeNull();
      }

      const elsewhere = await server.client(from(nextIp())).health.check.query();
      expect(elsewhere.database.status).toBe('healthy');
    });
  });
});

describe('rate limits without a trusted proxy (TRUST_PROXY=false, the default)', () => {
  const signInIp = { max: 3, windowSeconds: 900 };
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { RATE_LIMITS: JSON.stringify({ 'signIn.ip': signInIp }) },
    });
  });
  afterAll(() => server?.stop());

  it('X-Forwarded-For is ignored: varying it does not escape signIn.ip', async () => {
    for (let i = 0; i < signInIp.max; i++) {
      const data = await errorData(
        server
          .client(from(nextIp()))
          .auth.signIn.mutate({ email: uniqueEmail('stranger'), password: WRONG }),
      );
      expect(data.reason).toBe('INVALID_CREDENTIALS');
    }
    expectRateLimited(
      await rawMutation(
        server,
        'auth.signIn',
        { email: uniqueEmail('stranger'), password: WRONG },
        from(nextIp()),
      ),
      signInIp.windowSeconds,
    );
  });
});

describe.runIf(onPostgres)('rate limits across two instances on one PostgreSQL', () => {
  const healthIp = { max: 4, windowSeconds: 60 };
  let database: TestDatabase;
  let sharedDir: string;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One DATA_DIR, so the file transport of either instance delivers into one mailbox.
    sharedDir = await mkdtemp(path.join(tmpdir(), 'cryptweb-limits-'));
    const env = { DATA_DIR: sharedDir, RATE_LIMITS: JSON.stringify({ 'health.ip': healthIp }) };
    a = await startTestServer({ database, env });
    b = await startTestServer({ database, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    if (sharedDir) await rm(sharedDir, { recursive: true, force: true });
  });

  it('signIn failures spread over both instances add up to one signIn.emailIp limit', async () => {
    const email = uniqueEmail('twice');
    await a.client().auth.signUp.mutate({ name: 'Twice', email, password: PASSWORD });
    const { code = '' } = await waitForMail(sharedDir, email, 'verify-email');
    await b.client().auth.verifyEmail.mutate({ email, code });
    const account = { email, password: PASSWORD };

    for (let i = 0; i < 5; i++) {
      const instance = i % 2 === 0 ? a : b;
      const data = await errorData(
        instance.client().auth.signIn.mutate({ email, password: WRONG }),
      );
      expect(data.reason).toBe('INVALID_CREDENTIALS');
    }
    expectRateLimited(await rawMutation(a, 'auth.signIn', account), EMAIL_IP_WINDOW);
    expectRateLimited(await rawMutation(b, 'auth.signIn', account), EMAIL_IP_WINDOW);
  });

  it('health.check calls on both instances add up to one health.ip limit', async () => {
    for (let i = 0; i < healthIp.max; i++) {
      const instance = i % 2 === 0 ? a : b;
      expect((await instance.client().health.check.query()).database.status).toBe('healthy');
    }
    expectRateLimited(await rawQuery(a, 'health.check'), healthIp.windowSeconds);
    expectRateLimited(await rawQuery(b, 'health.check'), healthIp.windowSeconds);
  });
});
