import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from '../src/services/sweeper.js';
import { clientWithToken, type SignedInUser, signedInUser } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { readMailbox, waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer } from './support/server.js';
import { sessionOf } from './support/signed-in.js';
import { codeAt, wrongCode } from './support/totp.js';

// SPEC §9: TOTP (RFC 6238, ±1 step, each step once), recovery codes, the two-step sign-in.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS: roomyLimits() } });
});
afterAll(() => server.stop());

interface Enrolled extends SignedInUser {
  secret: string;
  recoveryCodes: string[];
}

/**
 * A signed-in user with TOTP on. Confirms with the previous step's code, so the current and next
 * steps stay free for the test (each step is accepted once).
 */
async function enrolledUser(): Promise<Enrolled> {
  const user = await signedInUser(server, { name: 'Mfa' });
  const { secret, otpauthUri } = await user.client.mfa.totp.enroll.mutate({
    currentPassword: user.password,
  });
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/CryptWeb:/);
  expect(otpauthUri).toContain(`secret=${secret}`);
  const { recoveryCodes } = await user.client.mfa.totp.confirm.mutate({
    code: codeAt(secret, -1),
  });
  return { ...user, secret, recoveryCodes };
}

async function challengeFor(user: { email: string; password: string }) {
  const answer = await server
    .client()
    .auth.signIn.mutate({ email: user.email, password: user.password });
  if (!('mfaRequired' in answer))
    throw new Error('expected the sign-in to ask for a second factor');
  return answer;
}

async function sessionCount(userId: string): Promise<number> {
  const result = await server.app.deps.db.execute(
    sql`select count(*)::int as count from sessions where user_id = ${userId}`,
  );
  return Number(rowsOf<{ count: number }>(result)[0]?.count ?? 0);
}

/** postgres.js answers an array, PGlite `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

describe('enrolment and the two-step sign-in', () => {
  it('enrol, confirm, then signIn asks for a code and verifyMfa opens an MFA session', async () => {
    const user = await enrolledUser();
    expect(user.recoveryCodes).toHaveLength(10);
    expect(new Set(user.recoveryCodes).size).toBe(10);
    await waitForMail(server.dataDir, user.email, 'mfa-enabled');
    expect(await user.client.mfa.status.query()).toEqual({
      totp: true,
      passkeys: 0,
      recoveryCodesLeft: 10,
    });
    // The session from before enrolment was proven by the password alone.
    expect((await user.client.auth.me.query()).session.mfa).toBe(false);
    expect(decodeJwt(user.accessToken).amr).toEqual(['pwd']);

    const before = await sessionCount(user.userId);
    const challenge = await challengeFor(user);
    expect(challenge).toEqual({
      mfaRequired: true,
      challengeToken: expect.any(String),
      methods: ['totp', 'recovery'],
    });
    expect(await sessionCount(user.userId)).toBe(before);

    const done = await server.client().auth.verifyMfa.mutate({
      challengeToken: challenge.challengeToken,
      totp: codeAt(user.secret),
    });
    expect(done.user.id).toBe(user.userId);
    expect(decodeJwt(done.accessToken).amr).toEqual(['pwd', 'otp']);
    const me = await clientWithToken(server, done.accessToken).auth.me.query();
    expect(me.session).toMatchObject({ id: done.session.id, mfa: true });
    // Refreshing keeps how the session was proven.
    const pair = await server.client().auth.refresh.mutate({ refreshToken: done.refreshToken });
    expect(decodeJwt(pair.accessToken).amr).toEqual(['pwd', 'otp']);
    // The challenge is single use.
    const again = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: challenge.challengeToken,
        totp: codeAt(user.secret, 1),
      }),
    );
    expect(again.reason).toBe('MFA_CHALLENGE_INVALID');
  });

  it('verifyMfa over HTTP sets the auth cookies like signIn', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const response = await fetch(`${server.url}/api/v1/auth/mfa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeToken: challenge.challengeToken, totp: codeAt(user.secret) }),
    });
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie().map((c) => c.split('=')[0]);
    expect(cookies).toEqual(expect.arrayContaining(['accessToken', 'refreshToken', 'deviceId']));
  });

  it('refuses enrolment when on, confirmation when nothing is pending, and a wrong password', async () => {
    const user = await enrolledUser();
    const again = await errorData(
      user.client.mfa.totp.enroll.mutate({ currentPassword: user.password }),
    );
    expect(again.reason).toBe('MFA_ALREADY_ENABLED');
    const fresh = await signedInUser(server);
    const notPending = await errorData(fresh.client.mfa.totp.confirm.mutate({ code: '123456' }));
    expect(notPending.reason).toBe('MFA_NOT_PENDING');
    const wrongPassword = await errorData(
      fresh.client.mfa.totp.enroll.mutate({ currentPassword: 'not the password' }),
    );
    expect(wrongPassword.reason).toBe('INVALID_CREDENTIALS');
  });

  it('a wrong code does not confirm an enrolment', async () => {
    const user = await signedInUser(server);
    const { secret } = await user.client.mfa.totp.enroll.mutate({ currentPassword: user.password });
    const data = await errorData(user.client.mfa.totp.confirm.mutate({ code: wrongCode(secret) }));
    expect(data.reason).toBe('MFA_CODE_INVALID');
    expect((await user.client.mfa.status.query()).totp).toBe(false);
    // Signing in still needs only the password.
    const answer = await server
      .client()
      .auth.signIn.mutate({ email: user.email, password: user.password });
    expect('accessToken' in answer).toBe(true);
  });
});

describe('codes', () => {
  it('a step is accepted once: replaying a used code is refused', async () => {
    const user = await enrolledUser();
    const code = codeAt(user.secret);
    const first = await challengeFor(user);
    await server
      .client()
      .auth.verifyMfa.mutate({ challengeToken: first.challengeToken, totp: code });
    const second = await challengeFor(user);
    const replay = await errorData(
      server.client().auth.verifyMfa.mutate({ challengeToken: second.challengeToken, totp: code }),
    );
    expect(replay.reason).toBe('MFA_CODE_INVALID');
    // The confirmation's step (the previous one) is spent too.
    const older = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: second.challengeToken,
        totp: codeAt(user.secret, -1),
      }),
    );
    expect(older.reason).toBe('MFA_CODE_INVALID');
  });

  it('two concurrent uses of one code: exactly one wins', async () => {
    const user = await enrolledUser();
    const [a, b] = await Promise.all([challengeFor(user), challengeFor(user)]);
    const code = codeAt(user.secret);
    const outcomes = await Promise.allSettled(
      [a, b].map((challenge) =>
        server
          .client()
          .auth.verifyMfa.mutate({ challengeToken: challenge.challengeToken, totp: code }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('5 wrong codes kill the challenge: even the right code is refused after', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const wrong = wrongCode(user.secret);
    for (let attempt = 0; attempt < 5; attempt++) {
      const data = await errorData(
        server
          .client()
          .auth.verifyMfa.mutate({ challengeToken: challenge.challengeToken, totp: wrong }),
      );
      expect(data.reason).toBe('MFA_CODE_INVALID');
    }
    const dead = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: challenge.challengeToken,
        totp: codeAt(user.secret),
      }),
    );
    expect(dead.reason).toBe('MFA_CHALLENGE_INVALID');
  });

  it('an expired challenge answers MFA_CHALLENGE_EXPIRED; an unknown one MFA_CHALLENGE_INVALID', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    await server.app.deps.db.execute(
      sql`update mfa_challenges set expires_at = now() - interval '1 second' where user_id = ${user.userId}`,
    );
    const expired = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: challenge.challengeToken,
        totp: codeAt(user.secret),
      }),
    );
    expect(expired.reason).toBe('MFA_CHALLENGE_EXPIRED');
    const unknown = await errorData(
      server.client().auth.verifyMfa.mutate({ challengeToken: 'made-up', totp: '123456' }),
    );
    expect(unknown.reason).toBe('MFA_CHALLENGE_INVALID');
  });

  it('the sweeper deletes challenges a day past their expiry', async () => {
    const user = await enrolledUser();
    await challengeFor(user);
    const { db, env } = server.app.deps;
    await db.execute(
      sql`update mfa_challenges set expires_at = now() - interval '2 days' where user_id = ${user.userId}`,
    );
    expect((await sweepExpired(db, env)).mfaChallenges).toBeGreaterThanOrEqual(1);
    const left = rowsOf(
      await db.execute(sql`select 1 from mfa_challenges where user_id = ${user.userId}`),
    );
    expect(left).toHaveLength(0);
  });

  it('two concurrent uses of one recovery code: exactly one wins', async () => {
    const user = await enrolledUser();
    const [a, b] = await Promise.all([challengeFor(user), challengeFor(user)]);
    const code = user.recoveryCodes[1] ?? '';
    const outcomes = await Promise.allSettled(
      [a, b].map((challenge) =>
        server
          .client()
          .auth.verifyMfa.mutate({ challengeToken: challenge.challengeToken, recoveryCode: code }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('needs exactly one of totp and recoveryCode', async () => {
    const data = await errorData(server.client().auth.verifyMfa.mutate({ challengeToken: 'x' }));
    expect(data.reason).toBe('INVALID_INPUT');
  });
});

describe('recovery codes', () => {
  it('a recovery code signs in once and mails the owner', async () => {
    const user = await enrolledUser();
    const [code] = user.recoveryCodes;
    if (!code) throw new Error('no recovery code');
    const first = await challengeFor(user);
    const done = await server
      .client()
      .auth.verifyMfa.mutate({ challengeToken: first.challengeToken, recoveryCode: code });
    expect((await clientWithToken(server, done.accessToken).auth.me.query()).session.mfa).toBe(
      true,
    );
    const mail = await waitForMail(server.dataDir, user.email, 'recovery-code-used');
    expect(mail.text).not.toContain(code);
    expect((await user.client.mfa.status.query()).recoveryCodesLeft).toBe(9);

    const second = await challengeFor(user);
    const reused = await errorData(
      server
        .client()
        .auth.verifyMfa.mutate({ challengeToken: second.challengeToken, recoveryCode: code }),
    );
    expect(reused.reason).toBe('MFA_CODE_INVALID');
  });

  it('regenerate replaces the set; disable turns two-factor off', async () => {
    const user = await enrolledUser();
    const { recoveryCodes } = await user.client.mfa.recoveryCodes.regenerate.mutate({
      currentPassword: user.password,
      code: codeAt(user.secret),
    });
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.some((code) => user.recoveryCodes.includes(code))).toBe(false);
    const old = await errorData(
      user.client.mfa.totp.disable.mutate({
        currentPassword: user.password,
        code: user.recoveryCodes[0] ?? '',
      }),
    );
    expect(old.reason).toBe('MFA_CODE_INVALID');

    const wrongPassword = await errorData(
      user.client.mfa.totp.disable.mutate({
        currentPassword: 'not the password',
        code: recoveryCodes[0] ?? '',
      }),
    );
    expect(wrongPassword.reason).toBe('INVALID_CREDENTIALS');

    await user.client.mfa.totp.disable.mutate({
      currentPassword: user.password,
      code: recoveryCodes[0] ?? '',
    });
    await waitForMail(server.dataDir, user.email, 'mfa-disabled');
    expect(await user.client.mfa.status.query()).toEqual({
      totp: false,
      passkeys: 0,
      recoveryCodesLeft: 0,
    });
    const answer = sessionOf(
      await server.client().auth.signIn.mutate({ email: user.email, password: user.password }),
    );
    expect(decodeJwt(answer.accessToken).amr).toEqual(['pwd']);
  });

  it('no mail carries a TOTP secret or a recovery code', async () => {
    const user = await enrolledUser();
    await waitForMail(server.dataDir, user.email, 'mfa-enabled');
    const mails = (await readMailbox(server.dataDir)).filter((mail) => mail.to === user.email);
    const text = JSON.stringify(mails);
    expect(text).not.toContain(user.secret);
    for (const code of user.recoveryCodes) expect(text).not.toContain(code);
  });
});

describe('re-authentication limit (reauth.user, SPEC §6.1)', () => {
  it('5 wrong codes per user, then TOO_MANY_REQUESTS even for the right one', async () => {
    const user = await enrolledUser();
    const wrong = wrongCode(user.secret);
    for (let attempt = 0; attempt < 5; attempt++) {
      const data = await errorData(
        user.client.mfa.recoveryCodes.regenerate.mutate({
          currentPassword: user.password,
          code: wrong,
        }),
      );
      expect(data.reason).toBe('MFA_CODE_INVALID');
    }
    const limited = await errorData(
      user.client.mfa.recoveryCodes.regenerate.mutate({
        currentPassword: user.password,
        code: codeAt(user.secret),
      }),
    );
    expect(limited.code).toBe('TOO_MANY_REQUESTS');
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('wrong codes at the sign-in step count against the user too', async () => {
    const user = await enrolledUser();
    const wrong = wrongCode(user.secret);
    const first = await challengeFor(user);
    for (let attempt = 0; attempt < 5; attempt++) {
      await errorData(
        server
          .client()
          .auth.verifyMfa.mutate({ challengeToken: first.challengeToken, totp: wrong }),
      );
    }
    const second = await challengeFor(user);
    const limited = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: second.challengeToken,
        totp: codeAt(user.secret),
      }),
    );
    expect(limited.code).toBe('TOO_MANY_REQUESTS');
    // A stranger's guesses at the sign-in step are not the owner's budget: the owner's session
    // still re-authenticates (password change, two-factor settings).
    await user.client.auth.changePassword.mutate({
      currentPassword: user.password,
      newPassword: 'another long passphrase 42',
    });
  });
});

describe('a password change ends half-done sign-ins', () => {
  it('a challenge won with the old password cannot finish after the owner changes it', async () => {
    const user = await enrolledUser();
    const stale = await challengeFor(user);
    await user.client.auth.changePassword.mutate({
      currentPassword: user.password,
      newPassword: 'a fresh passphrase for 2027',
    });
    const refused = await errorData(
      server.client().auth.verifyMfa.mutate({
        challengeToken: stale.challengeToken,
        recoveryCode: user.recoveryCodes[0] ?? '',
      }),
    );
    expect(refused.reason).toBe('MFA_CHALLENGE_INVALID');
  });
});

describe('secrets at rest', () => {
  it('the development DATA_ENCRYPTION_KEY is generated once into DATA_DIR', async () => {
    const key = (await readFile(path.join(server.dataDir, 'data-encryption-key'), 'utf8')).trim();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });

  it('a dump of the new tables holds no TOTP secret, recovery code or challenge token', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const dump: string[] = [];
    for (const table of ['mfa_totp', 'mfa_recovery_codes', 'mfa_challenges', 'sessions']) {
      const rows = rowsOf<Record<string, unknown>>(
        await server.app.deps.db.execute(sql.raw(`select * from ${table}`)),
      );
      expect(rows.length).toBeGreaterThan(0);
      dump.push(JSON.stringify(rows));
    }
    const text = dump.join('\n');
    const lower = text.toLowerCase();
    expect(text).not.toContain(user.secret);
    for (const code of user.recoveryCodes) {
      expect(lower).not.toContain(code);
      expect(lower).not.toContain(code.replaceAll('-', ''));
    }
    expect(text).not.toContain(challenge.challengeToken);
  });
});
