import { eq, or, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emailChanges,
  knownDevices,
  mailOutbox,
  mfaTotp,
  refreshTokens,
  securityEvents,
  sessions,
  users,
} from '../src/db/schema.js';
import { sha256 } from '../src/services/secrets.js';
import { signedInUser, signInAs, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { roomyLimits } from './support/limits.js';
import { readMailbox, waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { connectDevice } from './support/signaling.js';
import { recordTransfer } from './support/transfers.js';

const RATE_LIMITS = roomyLimits();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMITS } });
});
afterAll(() => server.stop());

const db = () => server.app.deps.db;

describe('account.updateProfile', () => {
  it('renames the caller, trimmed, and only the caller', async () => {
    const user = await signedInUser(server, { name: 'Ada' });
    const other = await signedInUser(server, { name: 'Bob' });
    const { user: updated } = await user.client.account.updateProfile.mutate({
      name: '  Ada Lovelace ',
    });
    expect(updated).toMatchObject({ id: user.userId, name: 'Ada Lovelace', email: user.email });
    expect((await user.client.auth.me.query()).user.name).toBe('Ada Lovelace');
    expect((await other.client.auth.me.query()).user.name).toBe('Bob');
  });

  it('refuses an empty or too long name, and anonymous callers', async () => {
    const user = await signedInUser(server);
    for (const name of ['   ', 'x'.repeat(31), 'nul\0name']) {
      const data = await errorData(user.client.account.updateProfile.mutate({ name }));
      expect(data).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_INPUT' });
    }
    const anonymous = await errorData(server.client().account.updateProfile.mutate({ name: 'X' }));
    expect(anonymous.code).toBe('UNAUTHORIZED');
  });
});

describe('account.changeEmail and account.confirmEmailChange', () => {
  it('mails a code to the new address; confirming moves the account and tells the old one', async () => {
    const user = await signedInUser(server, { name: 'Cleo' });
    const newEmail = uniqueEmail('cleo.new');
    // A reset link mailed to the old address before the change.
    await server.client().auth.forgotPassword.mutate({ email: user.email });
    const oldLink = await waitForMail(server.dataDir, user.email, 'reset-password');
    await expect(
      user.client.account.changeEmail.mutate({
        newEmail: `  ${newEmail.toUpperCase()} `,
        currentPassword: user.password,
      }),
    ).resolves.toEqual({ ok: true });
    const mail = await waitForMail(server.dataDir, newEmail, 'email-change');
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(mail.subject).not.toContain(mail.code);

    const { user: moved } = await user.client.account.confirmEmailChange.mutate({
      code: mail.code ?? '',
    });
    expect(moved).toMatchObject({ id: user.userId, email: newEmail, emailVerified: true });
    const notice = await waitForMail(server.dataDir, user.email, 'email-changed');
    expect(notice.text).toContain(newEmail);

    // The session goes on; the new address signs in, the old one is nobody's any more.
    expect((await user.client.auth.me.query()).user.email).toBe(newEmail);
    await signInAs(server, { ...user, email: newEmail });
    const old = await errorData(
      server.client().auth.signIn.mutate({ email: user.email, password: user.password }),
    );
    expect(old.reason).toBe('INVALID_CREDENTIALS');

    // Whoever holds the old mailbox cannot take the account with a link sent there.
    const stale = await errorData(
      server.client().auth.resetPassword.mutate({
        token: oldLink.token ?? '',
        password: 'taken over by the old mailbox',
        confirmPassword: 'taken over by the old mailbox',
      }),
    );
    expect(stale.reason).toBe('TOKEN_INVALID');

    const log = await user.client.account.securityLog.query({ type: 'email-changed' });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]?.detail).toMatchObject({ previousEmail: user.email, newEmail });
    // The code is single use.
    const again = await errorData(
      user.client.account.confirmEmailChange.mutate({ code: mail.code ?? '' }),
    );
    expect(again.reason).toBe('CODE_INVALID');
  });

  it('keeps known devices: the device the account signed in with is still exempt', async () => {
    const user = await signedInUser(server);
    const newEmail = uniqueEmail('device.kept');
    await user.client.account.changeEmail.mutate({ newEmail, currentPassword: user.password });
    const mail = await waitForMail(server.dataDir, newEmail, 'email-change');
    await user.client.account.confirmEmailChange.mutate({ code: mail.code ?? '' });
    const [device] = await db()
      .select()
      .from(knownDevices)
      .where(eq(knownDevices.userId, user.userId));
    expect(device).toBeDefined();
  });

  it('refuses a wrong password, the current address and an address with an account', async () => {
    const user = await signedInUser(server);
    const other = await verifiedAccount(server);
    const wrong = await errorData(
      user.client.account.changeEmail.mutate({
        newEmail: uniqueEmail('x'),
        currentPassword: 'not the password',
      }),
    );
    expect(wrong).toMatchObject({ code: 'BAD_REQUEST', reason: 'INVALID_CREDENTIALS' });
    const same = await errorData(
      user.client.account.changeEmail.mutate({
        newEmail: user.email,
        currentPassword: user.password,
      }),
    );
    expect(same.reason).toBe('INVALID_INPUT');
    const taken = await errorData(
      user.client.account.changeEmail.mutate({
        newEmail: other.email.toUpperCase(),
        currentPassword: user.password,
      }),
    );
    expect(taken).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' });
    const invalid = await errorData(
      user.client.account.changeEmail.mutate({
        newEmail: 'not an email',
        currentPassword: user.password,
      }),
    );
    expect(invalid.reason).toBe('INVALID_INPUT');
  });

  it('answers EMAIL_TAKEN when someone signs up with the address before the code is used', async () => {
    const user = await signedInUser(server);
    const newEmail = uniqueEmail('race');
    await user.client.account.changeEmail.mutate({ newEmail, currentPassword: user.password });
    const mail = await waitForMail(server.dataDir, newEmail, 'email-change');
    await server.client().auth.signUp.mutate({
      name: 'Squatter',
      email: newEmail,
      password: 'another good passphrase',
    });
    const data = await errorData(
      user.client.account.confirmEmailChange.mutate({ code: mail.code ?? '' }),
    );
    expect(data).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' });
    expect((await user.client.auth.me.query()).user.email).toBe(user.email);
  });

  it('counts 5 wrong codes, then refuses even the right one; an expired code is CODE_EXPIRED', async () => {
    const user = await signedInUser(server);
    const none = await errorData(user.client.account.confirmEmailChange.mutate({ code: '123456' }));
    expect(none.reason).toBe('CODE_INVALID');

    const newEmail = uniqueEmail('guess');
    await user.client.account.changeEmail.mutate({ newEmail, currentPassword: user.password });
    const { code = '' } = await waitForMail(server.dataDir, newEmail, 'email-change');
    const wrongCode = code === '000000' ? '000001' : '000000';
    // Concurrent guesses are counted too: never more than 5 are compared.
    const guesses = await Promise.all(
      Array.from({ length: 7 }, () =>
        errorData(user.client.account.confirmEmailChange.mutate({ code: wrongCode })),
      ),
    );
    expect(guesses.filter((g) => g.reason === 'CODE_INVALID')).toHaveLength(5);
    expect(guesses.filter((g) => g.reason === 'CODE_ATTEMPTS_EXCEEDED')).toHaveLength(2);
    const right = await errorData(user.client.account.confirmEmailChange.mutate({ code }));
    expect(right.reason).toBe('CODE_ATTEMPTS_EXCEEDED');

    // A new request replaces the spent code; past its lifetime it is CODE_EXPIRED.
    await user.client.account.changeEmail.mutate({ newEmail, currentPassword: user.password });
    const fresh = await waitForMail(server.dataDir, newEmail, 'email-change', 2);
    await db()
      .update(emailChanges)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(emailChanges.userId, user.userId));
    const expired = await errorData(
      user.client.account.confirmEmailChange.mutate({ code: fresh.code ?? '' }),
    );
    expect(expired.reason).toBe('CODE_EXPIRED');
  });

  it('binds a code to its account: another account cannot use it', async () => {
    const owner = await signedInUser(server);
    const thief = await signedInUser(server);
    const newEmail = uniqueEmail('bound');
    await owner.client.account.changeEmail.mutate({ newEmail, currentPassword: owner.password });
    await thief.client.account.changeEmail.mutate({
      newEmail: uniqueEmail('thief'),
      currentPassword: thief.password,
    });
    const { code = '' } = await waitForMail(server.dataDir, newEmail, 'email-change');
    const stolen = await errorData(thief.client.account.confirmEmailChange.mutate({ code }));
    expect(stolen.reason).toBe('CODE_INVALID');
    const ok = await owner.client.account.confirmEmailChange.mutate({ code });
    expect(ok.user.email).toBe(newEmail);
  });

  it('limits the mails: the sixth request within the hour is TOO_MANY_REQUESTS', async () => {
    const user = await signedInUser(server);
    for (let i = 0; i < 5; i++) {
      await user.client.account.changeEmail.mutate({
        newEmail: uniqueEmail('flood'),
        currentPassword: user.password,
      });
    }
    const data = await errorData(
      user.client.account.changeEmail.mutate({
        newEmail: uniqueEmail('flood'),
        currentPassword: user.password,
      }),
    );
    expect(data.code).toBe('TOO_MANY_REQUESTS');
    expect(data.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('account.delete', () => {
  it('ends every session and socket, removes personal data and keeps transfers as "Deleted user"', async () => {
    const user = await signedInUser(server, { name: 'Dora' });
    const second = await signInAs(server, user);
    const peer = await signedInUser(server, { name: 'Pat' });
    await recordTransfer(user.client, peer.email, { fileName: 'notes.txt' });
    await user.client.mfa.totp.enroll.mutate({ currentPassword: user.password });
    const pendingEmail = uniqueEmail('pending');
    await user.client.account.changeEmail.mutate({
      newEmail: pendingEmail,
      currentPassword: user.password,
    });
    await waitForMail(server.dataDir, pendingEmail, 'email-change');
    const device = await connectDevice(server, second.accessToken);
    try {
      await expect(
        user.client.account.delete.mutate({ currentPassword: user.password, confirm: 'DELETE' }),
      ).resolves.toEqual({ ok: true });
      await device.ended(1000);
    } finally {
      device.close();
    }

    for (const client of [user.client, second.client]) {
      expect((await errorData(client.auth.me.query())).code).toBe('UNAUTHORIZED');
    }
    const refresh = await errorData(
      server.client().auth.refresh.mutate({ refreshToken: second.refreshToken }),
    );
    expect(refresh.reason).toBe('REFRESH_INVALID');
    const signIn = await errorData(
      server.client().auth.signIn.mutate({ email: user.email, password: user.password }),
    );
    expect(signIn.reason).toBe('INVALID_CREDENTIALS');

    // The other party keeps the transfer, from "Deleted user".
    const { items } = await peer.client.transfers.list.query({ direction: 'received' });
    expect(items).toHaveLength(1);
    expect(items[0]?.sender).toMatchObject({ id: user.userId, name: 'Deleted user' });
    expect(items[0]?.sender.email).not.toContain(user.email);

    // The row is a tombstone; nothing else of the person is left.
    const [row] = await db().select().from(users).where(eq(users.id, user.userId));
    expect(row).toMatchObject({ name: 'Deleted user', emailVerifiedAt: null, role: 'user' });
    expect(row?.deletedAt).toBeInstanceOf(Date);
    expect(row?.email).not.toContain(user.email);
    for (const table of [sessions, knownDevices, securityEvents, mfaTotp, emailChanges]) {
      expect(await db().select().from(table).where(eq(table.userId, user.userId))).toEqual([]);
    }
    const mail = await db()
      .select()
      .from(mailOutbox)
      .where(or(eq(mailOutbox.to, user.email), eq(mailOutbox.to, pendingEmail)));
    expect(mail).toEqual([]);
    const tokens = await db()
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, sha256(second.refreshToken)));
    expect(tokens).toEqual([]);

    // Nobody can reach the tombstone by its placeholder address.
    const toTombstone = await errorData(recordTransfer(peer.client, row?.email ?? ''));
    expect(toTombstone.reason).toBe('INVALID_INPUT');

    // The address is free again.
    const again = await server.client().auth.signUp.mutate({
      name: 'Dora again',
      email: user.email,
      password: user.password,
    });
    expect(again.user.id).not.toBe(user.userId);
  });

  it('refuses a wrong password or a missing confirmation, and deletes once when asked twice at once', async () => {
    const user = await signedInUser(server);
    const wrong = await errorData(
      user.client.account.delete.mutate({ currentPassword: 'not the password', confirm: 'DELETE' }),
    );
    expect(wrong.reason).toBe('INVALID_CREDENTIALS');
    for (const confirm of ['delete', 'yes', '']) {
      const data = await errorData(
        user.client.account.delete.mutate({
          currentPassword: user.password,
          confirm: confirm as 'DELETE',
        }),
      );
      expect(data.reason).toBe('INVALID_INPUT');
    }
    expect((await user.client.auth.me.query()).user.id).toBe(user.userId);

    const outcomes = await Promise.allSettled(
      [1, 2].map(() =>
        user.client.account.delete.mutate({ currentPassword: user.password, confirm: 'DELETE' }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failed = outcomes.find((o) => o.status === 'rejected');
    const data = await errorData(Promise.reject(failed?.reason));
    expect(data.code).toBe('UNAUTHORIZED');
  });
});

describe('account.export', () => {
  it('hands over profile, sessions, transfers and events, and no hash, token or secret', async () => {
    const user = await signedInUser(server, { name: 'Eve' });
    const other = await signedInUser(server);
    await recordTransfer(other.client, user.email, { fileName: 'photo.jpg', fileSize: 2048 });
    const { secret } = await user.client.mfa.totp.enroll.mutate({ currentPassword: user.password });
    await user.client.sessions.revoke.mutate({
      sessionId: (await signInAs(server, user)).sessionId,
    });

    const data = await user.client.account.export.query();
    expect(data.profile).toMatchObject({ id: user.userId, email: user.email, role: 'user' });
    expect(data.sessions).toHaveLength(2);
    expect(data.sessions.filter((s) => s.revokedAt !== null)).toHaveLength(1);
    expect(data.transfers).toHaveLength(1);
    expect(data.transfers[0]).toMatchObject({ fileName: 'photo.jpg', fileSize: 2048 });
    expect(data.securityEvents.map((e) => e.type)).toEqual(
      expect.arrayContaining(['sign-in', 'session-revoked']),
    );

    const [row] = await db().select().from(users).where(eq(users.id, user.userId));
    const tokenHashes = await db()
      .select({ hash: refreshTokens.tokenHash })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(sessions.userId, user.userId));
    const [totp] = await db().select().from(mfaTotp).where(eq(mfaTotp.userId, user.userId));
    const text = JSON.stringify(data);
    for (const secretValue of [
      row?.passwordHash,
      user.password,
      user.accessToken,
      user.refreshToken,
      secret,
      totp?.secretSealed,
      ...tokenHashes.map((t) => t.hash),
    ]) {
      expect(secretValue).toBeTruthy();
      expect(text).not.toContain(secretValue);
    }
    expect(text).not.toMatch(/hash|secret|refreshToken|accessToken|password"/i);

    // Only the caller's own data: the other party's sessions are not in it.
    expect(text).not.toContain(other.sessionId);
    const anonymous = await errorData(server.client().account.export.query());
    expect(anonymous.code).toBe('UNAUTHORIZED');
  });
});

describe('mail', () => {
  it('delivers email-change codes only to the new address', async () => {
    const user = await signedInUser(server);
    const newEmail = uniqueEmail('only.new');
    await user.client.account.changeEmail.mutate({ newEmail, currentPassword: user.password });
    await waitForMail(server.dataDir, newEmail, 'email-change');
    const toOld = (await readMailbox(server.dataDir)).filter(
      (mail) => mail.to === user.email && mail.kind === 'email-change',
    );
    expect(toOld).toEqual([]);
  });
});
