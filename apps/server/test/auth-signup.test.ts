import { dictionary } from '@zxcvbn-ts/language-common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailCodes } from '../src/db/schema.js';
import { PASSWORD } from './support/accounts.js';
import { type ErrorData, errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { sessionOf } from './support/signed-in.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMMON_PASSWORDS = ['password123', 'qwertyuiop'];

const ROOMY_LIMITS = roomyLimits();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Any 6-digit code other than `code`. */
const otherCode = (code: string) => ((Number(code) + 1) % 1_000_000).toString().padStart(6, '0');

/** The parts of an error a client sees, without the dev-only stack. */
const visible = ({ stack: _stack, ...rest }: ErrorData & { stack?: unknown }) => rest;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS: ROOMY_LIMITS } });
});
afterAll(() => server.stop());

/** Signs up a fresh account and returns it with the code mailed to it. */
async function signUpWithCode(name = 'Ada') {
  const email = uniqueEmail('signup');
  const { user } = await server.client().auth.signUp.mutate({ name, email, password: PASSWORD });
  const mail = await waitForMail(server.dataDir, email, 'verify-email');
  return { email, user, code: mail.code ?? '' };
}

describe('auth.signUp', () => {
  it('returns the new, unverified PublicUser with a trimmed, lower-cased email and trimmed name', async () => {
    const email = uniqueEmail('fresh');
    const { user } = await server.client().auth.signUp.mutate({
      name: '  Ada Lovelace  ',
      email: `  ${email.toUpperCase()}  `,
      password: PASSWORD,
    });
    expect(user).toEqual({
      id: expect.stringMatching(UUID),
      email,
      name: 'Ada Lovelace',
      emailVerified: false,
      createdAt: expect.any(Date),
    });
    expect(Math.abs(user.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('mails a 6-digit verification code in the text and the html', async () => {
    const email = uniqueEmail('mailed');
    await server.client().auth.signUp.mutate({ name: 'Grace', email, password: PASSWORD });
    const mail = await waitForMail(server.dataDir, email, 'verify-email');
    expect(mail.to).toBe(email);
    expect(mail.kind).toBe('verify-email');
    expect(mail.subject).toMatch(/CryptWeb/);
    expect(mail.code).toMatch(/^\d{6}$/);
    const code = mail.code ?? '';
    expect(mail.text).toContain(code);
    expect(mail.html).toContain(code);
    expect(mail.text).toContain('Grace');
  });

  it('puts the name into the html escaped, so a name cannot inject markup', async () => {
    const email = uniqueEmail('markup');
    const name = '<img src=x onerror=alert(1)>';
    await server.client().auth.signUp.mutate({ name, email, password: PASSWORD });
    const mail = await waitForMail(server.dataDir, email, 'verify-email');
    expect(mail.text).toContain(name);
    expect(mail.html).not.toContain('<img');
  });

  it('stores the code hashed, never as the 6 digits themselves', async () => {
    const { user, code } = await signUpWithCode();
    expect(code).toMatch(/^\d{6}$/);
    const rows = await server.app.deps.db
      .select({ codeHash: emailCodes.codeHash })
      .from(emailCodes)
      .where(eq(emailCodes.userId, user.id));
    expect(rows).toHaveLength(1);
    const stored = rows[0]?.codeHash ?? '';
    expect(stored.length).toBeGreaterThan(6);
    expect(stored).not.toBe(code);
    expect(stored).not.toContain(code);
  });

  it('refuses an email that is taken with CONFLICT EMAIL_TAKEN, whatever its case', async () => {
    const email = uniqueEmail('taken');
    await server.client().auth.signUp.mutate({ name: 'First', email, password: PASSWORD });
    for (const again of [email, email.toUpperCase(), `  ${email.replace(/^s/, 'S')} `]) {
      const data = await errorData(
        server.client().auth.signUp.mutate({ name: 'Second', email: again, password: PASSWORD }),
      );
      expect(data).toMatchObject({ code: 'CONFLICT', httpStatus: 409, reason: 'EMAIL_TAKEN' });
    }
  });

  it('lets exactly one of several concurrent sign-ups with one email succeed', async () => {
    const email = uniqueEmail('race');
    // One client each, so the calls travel as separate HTTP requests instead of one batch.
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        server.client().auth.signUp.mutate({
          name: `Racer ${i}`,
          email: i % 2 ? email.toUpperCase() : email,
          password: PASSWORD,
        }),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const result of lost) {
      const data = await errorData(Promise.reject(result.reason));
      expect(data).toMatchObject({ code: 'CONFLICT', httpStatus: 409, reason: 'EMAIL_TAKEN' });
    }
  });

  describe('INVALID_INPUT names the offending field', () => {
    const cases: {
      what: string;
      field: string;
      input: { name: string; email: string; password: string };
    }[] = [
      {
        what: 'an email without @',
        field: 'email',
        input: { name: 'Ada', email: 'ada.example.test', password: PASSWORD },
      },
      {
        what: 'an empty email',
        field: 'email',
        input: { name: 'Ada', email: '   ', password: PASSWORD },
      },
      {
        what: 'an empty name',
        field: 'name',
        input: { name: '', email: 'x@example.test', password: PASSWORD },
      },
      {
        what: 'a name of only spaces',
        field: 'name',
        input: { name: '    ', email: 'x@example.test', password: PASSWORD },
      },
      {
        what: 'a name of 31 characters',
        field: 'name',
        input: { name: 'n'.repeat(31), email: 'x@example.test', password: PASSWORD },
      },
      {
        what: 'a password of 7 characters',
        field: 'password',
        input: { name: 'Ada', email: 'x@example.test', password: 'k7#Qz!p' },
      },
      {
        what: 'a password of 129 characters',
        field: 'password',
        input: { name: 'Ada', email: 'x@example.test', password: 'p'.repeat(129) },
      },
    ];
    for (const { what, field, input } of cases) {
      it(`refuses ${what}`, async () => {
        const data = await errorData(server.client().auth.signUp.mutate(input));
        expect(data).toMatchObject({
          code: 'BAD_REQUEST',
          httpStatus: 400,
          reason: 'INVALID_INPUT',
        });
        expect(Object.keys(data.fieldErrors ?? {})).toEqual([field]);
        expect(data.fieldErrors?.[field]).toEqual([expect.any(String)]);
      });
    }

    it('accepts the boundaries: a 30-character name after trimming, 8 and 128 character passwords', async () => {
      const client = server.client();
      const long = await client.auth.signUp.mutate({
        name: `   ${'n'.repeat(30)}   `,
        email: uniqueEmail('bounds'),
        password: 'k7#Qz!pW',
      });
      expect(long.user.name).toBe('n'.repeat(30));
      const longest = await client.auth.signUp.mutate({
        name: 'Ada',
        email: uniqueEmail('bounds'),
        password: 'Zq9!'.repeat(32),
      });
      expect(longest.user.emailVerified).toBe(false);
    });
  });

  it('refuses a common password with BAD_REQUEST WEAK_PASSWORD', async () => {
    const common = dictionary['passwords-common'];
    for (const password of COMMON_PASSWORDS) {
      expect(common).toContain(password);
      const email = uniqueEmail('weak');
      const data = await errorData(
        server.client().auth.signUp.mutate({ name: 'Ada', email, password }),
      );
      expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'WEAK_PASSWORD' });
      // Nothing was created: the same email signs up fine with a good password.
      const { user } = await server
        .client()
        .auth.signUp.mutate({ name: 'Ada', email, password: PASSWORD });
      expect(user.email).toBe(email);
    }
  });
});

describe('auth.verifyEmail', () => {
  it('verifies with the mailed code, and the same code again answers alreadyVerified', async () => {
    const { email, code } = await signUpWithCode();
    const client = server.client();
    expect(await client.auth.verifyEmail.mutate({ email, code })).toEqual({
      verified: true,
      alreadyVerified: false,
    });
    expect(await client.auth.verifyEmail.mutate({ email: email.toUpperCase(), code })).toEqual({
      verified: true,
      alreadyVerified: true,
    });
    const signedIn = sessionOf(await client.auth.signIn.mutate({ email, password: PASSWORD }));
    expect(signedIn.user.emailVerified).toBe(true);
  });

  it('refuses a wrong code with BAD_REQUEST CODE_INVALID', async () => {
    const { email, code } = await signUpWithCode();
    const data = await errorData(
      server.client().auth.verifyEmail.mutate({ email, code: otherCode(code) }),
    );
    expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'CODE_INVALID' });
  });

  it('answers an unknown email that was sent a code exactly like a wrong code (no account enumeration)', async () => {
    const { email, code } = await signUpWithCode();
    const wrong = await errorData(
      server.client().auth.verifyEmail.mutate({ email, code: otherCode(code) }),
    );
    // As for the account, a code "was mailed" to the unknown email (SPEC §6.1: its answers are
    // those of a real unverified account; enumeration.test.ts covers every state).
    const nobody = uniqueEmail('nobody');
    await server.client().auth.resendVerification.mutate({ email: nobody });
    const unknown = await errorData(
      server.client().auth.verifyEmail.mutate({ email: nobody, code }),
    );
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'CODE_INVALID' });
    expect(visible(unknown)).toEqual(visible(wrong));
  });

  it('after 5 wrong codes even the right one is refused with CODE_ATTEMPTS_EXCEEDED', async () => {
    const { email, code } = await signUpWithCode();
    const client = server.client();
    for (let i = 0; i < 5; i++) {
      const data = await errorData(
        client.auth.verifyEmail.mutate({ email, code: otherCode(code) }),
      );
      expect(data.reason).toBe('CODE_INVALID');
    }
    const data = await errorData(client.auth.verifyEmail.mutate({ email, code }));
    expect(data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      reason: 'CODE_ATTEMPTS_EXCEEDED',
    });
  });

  it('counts concurrent wrong guesses too: 10 at once still kill the code', async () => {
    const { email, code } = await signUpWithCode();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        server.client().auth.verifyEmail.mutate({ email, code: otherCode(code) }),
      ),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const data = await errorData(
        Promise.reject(result.status === 'rejected' ? result.reason : undefined),
      );
      expect(['CODE_INVALID', 'CODE_ATTEMPTS_EXCEEDED']).toContain(data.reason);
    }
    const data = await errorData(server.client().auth.verifyEmail.mutate({ email, code }));
    expect(data.reason).toBe('CODE_ATTEMPTS_EXCEEDED');
  });

  it('a resend after too many wrong tries mails a code that works', async () => {
    const { email, code } = await signUpWithCode();
    const client = server.client();
    for (let i = 0; i < 5; i++) {
      await errorData(client.auth.verifyEmail.mutate({ email, code: otherCode(code) }));
    }
    await client.auth.resendVerification.mutate({ email });
    const fresh = (await waitForMail(server.dataDir, email, 'verify-email', 2)).code ?? '';
    expect(await client.auth.verifyEmail.mutate({ email, code: fresh })).toEqual({
      verified: true,
      alreadyVerified: false,
    });
  });

  it('refuses an expired code with CODE_EXPIRED', async () => {
    const short = await startTestServer({ env: { EMAIL_CODE_TTL_SECONDS: '1' } });
    try {
      const email = uniqueEmail('expiring');
      await short.client().auth.signUp.mutate({ name: 'Ada', email, password: PASSWORD });
      const signedUpAt = Date.now();
      const mail = await waitForMail(short.dataDir, email, 'verify-email');
      await sleep(Math.max(0, 1500 - (Date.now() - signedUpAt)));
      const data = await errorData(
        short.client().auth.verifyEmail.mutate({ email, code: mail.code ?? '' }),
      );
      expect(data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'CODE_EXPIRED' });
    } finally {
      await short.stop();
    }
  });
});

describe('auth.resendVerification', () => {
  it('answers {ok:true} for known and unknown emails alike', async () => {
    const { email } = await signUpWithCode();
    const client = server.client();
    expect(await client.auth.resendVerification.mutate({ email })).toEqual({ ok: true });
    expect(await client.auth.resendVerification.mutate({ email: uniqueEmail('nobody') })).toEqual({
      ok: true,
    });
  });

  it('mails a new code that replaces the old one', async () => {
    const { email, code: first } = await signUpWithCode();
    const client = server.client();
    await client.auth.resendVerification.mutate({ email });
    const mail = await waitForMail(server.dataDir, email, 'verify-email', 2);
    const second = mail.code ?? '';
    expect(second).toMatch(/^\d{6}$/);
    expect(mail.text).toContain(second);
    expect(mail.html).toContain(second);

    const old = await errorData(client.auth.verifyEmail.mutate({ email, code: first }));
    expect(old).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, reason: 'CODE_INVALID' });
    expect(await client.auth.verifyEmail.mutate({ email, code: second })).toEqual({
      verified: true,
      alreadyVerified: false,
    });
  });

  it('refuses a second resend within 60 s with TOO_MANY_REQUESTS and retryAfterSeconds', async () => {
    const { email } = await signUpWithCode();
    const client = server.client();
    await client.auth.resendVerification.mutate({ email });
    const data = await errorData(
      client.auth.resendVerification.mutate({ email: email.toUpperCase() }),
    );
    expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
    expect(data.retryAfterSeconds).toBeGreaterThan(0);
    expect(data.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('limits unknown emails the same way (no account enumeration)', async () => {
    const email = uniqueEmail('nobody');
    const client = server.client();
    expect(await client.auth.resendVerification.mutate({ email })).toEqual({ ok: true });
    const data = await errorData(client.auth.resendVerification.mutate({ email }));
    expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
    expect(data.retryAfterSeconds).toBeGreaterThan(0);
    expect(data.retryAfterSeconds).toBeLessThanOrEqual(60);
  });
});

describe('signing in before verifying', () => {
  it('with the right password: FORBIDDEN EMAIL_NOT_VERIFIED', async () => {
    const { email } = await signUpWithCode();
    const data = await errorData(server.client().auth.signIn.mutate({ email, password: PASSWORD }));
    expect(data).toMatchObject({
      code: 'FORBIDDEN',
      httpStatus: 403,
      reason: 'EMAIL_NOT_VERIFIED',
    });
  });

  it('with a wrong password: UNAUTHORIZED INVALID_CREDENTIALS, revealing nothing about the account', async () => {
    const { email } = await signUpWithCode();
    const data = await errorData(
      server.client().auth.signIn.mutate({ email, password: `${PASSWORD}!` }),
    );
    expect(data).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      reason: 'INVALID_CREDENTIALS',
    });
  });
});
