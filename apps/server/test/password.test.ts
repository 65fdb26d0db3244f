import { dictionary } from '@zxcvbn-ts/language-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { type Mail, readMailbox, waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';

const NEW_PASSWORD = 'a brand new passphrase 42';
const COMMON_PASSWORD = 'password123';
const APP_URL = 'https://cryptweb.example.test';

const ROOMY_LIMITS = roomyLimits();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS: ROOMY_LIMITS, APP_URL } });
});
afterAll(() => server.stop());

/** The token in a reset mail, read from the link a person would click. */
function tokenFrom(mail: Mail): string {
  const match = /\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no reset link in: ${mail.text}`);
  return match[1];
}

/** Asks for a reset link for `email` and returns the token of the `nth` reset mail to it. */
async function resetToken(email: string, nth = 1, on: TestServer = server): Promise<string> {
  expect(await on.client().auth.forgotPassword.mutate({ email })).toEqual({ ok: true });
  return tokenFrom(await waitForMail(on.dataDir, email, 'reset-password', nth));
}

async function expectSignInRefused(email: string, password: string) {
  const data = await errorData(server.client().auth.signIn.mutate({ email, password }));
  expect(data).toMatchObject({
    code: 'UNAUTHORIZED',
    httpStatus: 401,
    reason: 'INVALID_CREDENTIALS',
  });
}

it('the common password used below is in the dictionary the server checks', () => {
  expect(dictionary['passwords-common']).toContain(COMMON_PASSWORD);
});

describe('auth.changePassword', () => {
  it('refuses a wrong current password with BAD_REQUEST INVALID_CREDENTIALS', async () => {
    const user = await signInAs(server, await verifiedAccount(server));
    const data = await errorData(
      user.client.auth.changePassword.mutate({
        currentPassword: 'not my password',
        newPassword: NEW_PASSWORD,
      }),
    );
    expect(data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'INVALID_CREDENTIALS',
    });
    // The session survives a typo, and the password is unchanged.
    expect((await user.client.auth.me.query()).user.email).toBe(user.email);
    await signInAs(server, user);
  });

  it('refuses a common new password with BAD_REQUEST WEAK_PASSWORD', async () => {
    const user = await signInAs(server, await verifiedAccount(server));
    const data = await errorData(
      user.client.auth.changePassword.mutate({
        currentPassword: PASSWORD,
        newPassword: COMMON_PASSWORD,
      }),
    );
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'WEAK_PASSWORD' });
    await signInAs(server, user);
  });

  it('changes the password, signs out every other session, keeps this one, and mails the owner', async () => {
    const account = await verifiedAccount(server);
    const current = await signInAs(server, account);
    const other = await signInAs(server, account);

    expect(
      await current.client.auth.changePassword.mutate({
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      }),
    ).toEqual({ ok: true });

    const otherCall = await errorData(other.client.auth.me.query());
    expect(otherCall).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
    const otherRefresh = await errorData(
      server.client().auth.refresh.mutate({ refreshToken: other.refreshToken }),
    );
    expect(otherRefresh).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });

    const me = await current.client.auth.me.query();
    expect(me.user.email).toBe(account.email);
    expect(me.session.id).toBe(current.sessionId);

    await expectSignInRefused(account.email, PASSWORD);
    const again = await signInAs(server, { ...account, password: NEW_PASSWORD });
    expect(again.userId).toBe(current.userId);

    const mail = await waitForMail(server.dataDir, account.email, 'password-changed');
    expect(mail.to).toBe(account.email);
    expect(mail.subject.length).toBeGreaterThan(0);
    expect(mail.text.length).toBeGreaterThan(0);
  });
});

describe('auth.forgotPassword', () => {
  it('answers {ok:true} for an unknown email and sends it nothing', async () => {
    const unknown = uniqueEmail('nobody');
    expect(await server.client().auth.forgotPassword.mutate({ email: unknown })).toEqual({
      ok: true,
    });
    // A known address asked afterwards gets its mail; by then nothing went to the unknown one.
    const { email } = await verifiedAccount(server);
    await resetToken(email);
    expect((await readMailbox(server.dataDir)).filter((mail) => mail.to === unknown)).toEqual([]);
  });

  it('mails a known email a link APP_URL/reset-password?token=<≥ 32 random bytes, base64url>', async () => {
    const { email } = await verifiedAccount(server);
    expect(
      await server.client().auth.forgotPassword.mutate({ email: `  ${email.toUpperCase()} ` }),
    ).toEqual({ ok: true });
    const mail = await waitForMail(server.dataDir, email, 'reset-password');
    const token = tokenFrom(mail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const link = `${server.app.deps.env.APP_URL.replace(/\/+$/, '')}/reset-password?token=${token}`;
    expect(link.startsWith(`${APP_URL}/reset-password?token=`)).toBe(true);
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(link);
  });

  it('refuses a sixth request for one email within the hour with TOO_MANY_REQUESTS', async () => {
    const { email } = await verifiedAccount(server);
    const client = server.client();
    for (let i = 0; i < 5; i++) {
      expect(await client.auth.forgotPassword.mutate({ email })).toEqual({ ok: true });
    }
    // However the address is spelled, it is the same email.
    const data = await errorData(
      client.auth.forgotPassword.mutate({ email: ` ${email.toUpperCase()}` }),
    );
    expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
    expect(data.retryAfterSeconds).toBeGreaterThan(0);
    expect(data.retryAfterSeconds).toBeLessThanOrEqual(3600);
    // The limit is per email: someone else is not held back.
    expect(await client.auth.forgotPassword.mutate({ email: uniqueEmail('other') })).toEqual({
      ok: true,
    });
  });
});

describe('auth.resetPassword', () => {
  it('refuses differing passwords with PASSWORDS_DIFFER, and the link still works', async () => {
    const { email } = await verifiedAccount(server);
    const token = await resetToken(email);
    const data = await errorData(
      server.client().auth.resetPassword.mutate({
        token,
        password: NEW_PASSWORD,
        confirmPassword: `${NEW_PASSWORD}?`,
      }),
    );
    expect(data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'PASSWORDS_DIFFER',
    });
    expect(
      await server.client().auth.resetPassword.mutate({
        token,
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    ).toEqual({ ok: true });
  });

  it('refuses a token it never issued with TOKEN_INVALID', async () => {
    for (const token of ['garbage', Buffer.alloc(32, 7).toString('base64url')]) {
      const data = await errorData(
        server.client().auth.resetPassword.mutate({
          token,
          password: NEW_PASSWORD,
          confirmPassword: NEW_PASSWORD,
        }),
      );
      expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'TOKEN_INVALID' });
    }
  });

  it('refuses a common password with WEAK_PASSWORD without spending the link', async () => {
    const { email } = await verifiedAccount(server);
    const token = await resetToken(email);
    const data = await errorData(
      server.client().auth.resetPassword.mutate({
        token,
        password: COMMON_PASSWORD,
        confirmPassword: COMMON_PASSWORD,
      }),
    );
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'WEAK_PASSWORD' });
    await expectSignInRefused(email, COMMON_PASSWORD);
    expect(
      await server.client().auth.resetPassword.mutate({
        token,
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    ).toEqual({ ok: true });
  });

  it('sets the new password, ends every session, mails the owner, and works only once', async () => {
    const account = await verifiedAccount(server);
    const first = await signInAs(server, account);
    const second = await signInAs(server, account);
    const token = await resetToken(account.email);

    const input = { token, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };
    expect(await server.client().auth.resetPassword.mutate(input)).toEqual({ ok: true });

    for (const session of [first, second]) {
      const call = await errorData(session.client.auth.me.query());
      expect(call).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
      const refresh = await errorData(
        server.client().auth.refresh.mutate({ refreshToken: session.refreshToken }),
      );
      expect(refresh).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
    }

    await expectSignInRefused(account.email, PASSWORD);
    const after = await signInAs(server, { ...account, password: NEW_PASSWORD });
    expect(after.userId).toBe(first.userId);
    expect((await after.client.auth.me.query()).user.email).toBe(account.email);

    const mail = await waitForMail(server.dataDir, account.email, 'password-changed');
    expect(mail.to).toBe(account.email);

    const reused = await errorData(server.client().auth.resetPassword.mutate(input));
    expect(reused).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'TOKEN_USED' });
  });

  it('a link used twice at the same moment works exactly once', async () => {
    const { email } = await verifiedAccount(server);
    const token = await resetToken(email);
    const input = { token, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };
    const results = await Promise.allSettled(
      [server.client(), server.client()].map((client) => client.auth.resetPassword.mutate(input)),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.find((result) => result.status === 'rejected');
    const data = await errorData(
      Promise.reject(lost?.status === 'rejected' ? lost.reason : undefined),
    );
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'TOKEN_USED' });
  });

  it('a second request voids the first link', async () => {
    const { email } = await verifiedAccount(server);
    const firstToken = await resetToken(email, 1);
    const secondToken = await resetToken(email, 2);
    expect(secondToken).not.toBe(firstToken);

    const data = await errorData(
      server.client().auth.resetPassword.mutate({
        token: firstToken,
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    );
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'TOKEN_INVALID' });
    expect(
      await server.client().auth.resetPassword.mutate({
        token: secondToken,
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    ).toEqual({ ok: true });
  });

  it('refuses an expired link with TOKEN_EXPIRED', async () => {
    const short = await startTestServer({ env: { RESET_TOKEN_TTL_SECONDS: '1' } });
    try {
      const { email } = await verifiedAccount(short);
      const requestedAt = Date.now();
      const token = await resetToken(email, 1, short);
      await sleep(Math.max(0, 1500 - (Date.now() - requestedAt)));
      const data = await errorData(
        short.client().auth.resetPassword.mutate({
          token,
          password: NEW_PASSWORD,
          confirmPassword: NEW_PASSWORD,
        }),
      );
      expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'TOKEN_EXPIRED' });
    } finally {
      await short.stop();
    }
  });
});

describe('passwords longer than 72 bytes are not truncated (bcrypt reads only 72)', () => {
  const cases = [
    { what: 'ASCII', prefix: 'a'.repeat(72) },
    { what: 'two-byte characters', prefix: 'é'.repeat(36) },
    { what: 'four-byte characters', prefix: '🔐'.repeat(18) },
  ];
  for (const { what, prefix } of cases) {
    it(`${what}: a password sharing the first 72 bytes does not sign in`, async () => {
      expect(Buffer.byteLength(prefix, 'utf8')).toBe(72);
      const account = await verifiedAccount(server, 'Long', `${prefix}X-original`);
      await expectSignInRefused(account.email, `${prefix}Y-impostor`);
      await expectSignInRefused(account.email, prefix);
      const signedIn = await signInAs(server, account);
      expect(signedIn.email).toBe(account.email);
    });
  }

  it('the rule holds for a password set by changePassword too', async () => {
    const user = await signInAs(server, await verifiedAccount(server));
    const longPassword = `${'b'.repeat(72)}X-changed`;
    await user.client.auth.changePassword.mutate({
      currentPassword: PASSWORD,
      newPassword: longPassword,
    });
    await expectSignInRefused(user.email, `${'b'.repeat(72)}Y-changed`);
    await signInAs(server, { ...user, password: longPassword });
  });
});
