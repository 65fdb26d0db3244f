import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { emailChanges, passwordResetTokens, signInReports, users } from '../db/schema.js';
import { DomainError, isUniqueViolation } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { confirmEmailChangeMessage, emailChangedMessage } from '../mail/templates.js';
import { promoteListedAdmins } from './admin-roles.js';
import { verifyCurrentPassword } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { limit } from './rate-limit.js';
import { emailKey, hmac, randomCode, sameHash } from './secrets.js';
import { eventOf, recordEvent } from './security-log.js';
import type { AuthSession } from './sessions.js';
import {
  findUserByEmail,
  findUserById,
  type PublicUser,
  toPublicUser,
  type UserRow,
} from './users.js';

const MAX_CODE_ATTEMPTS = 5;

/** The caller's account; a session outliving its account (deleted meanwhile) is no session. */
async function callerAccount(db: Database, auth: AuthSession): Promise<UserRow> {
  const user = await findUserById(db, auth.userId);
  if (!user || user.deletedAt) throw new DomainError('UNAUTHENTICATED');
  return user;
}

export async function updateProfile(
  deps: Pick<ServiceDeps, 'db'>,
  auth: AuthSession,
  input: { name: string },
): Promise<{ user: PublicUser }> {
  const [row] = await deps.db
    .update(users)
    .set({ name: input.name })
    .where(and(eq(users.id, auth.userId), isNull(users.deletedAt)))
    .returning();
  if (!row) throw new DomainError('UNAUTHENTICATED');
  return { user: toPublicUser(row) };
}

/** The code is bound to the account and the address it confirms: it cannot confirm another. */
const changeCodeHash = (deps: ServiceDeps, userId: string, newEmail: string, code: string) =>
  hmac(deps.keys.hmac, `email-change:${userId}:${newEmail}:${code}`);

/**
 * Starts an email change: after the current password, mails a code to the new address (replacing
 * any pending change). EMAIL_TAKEN is answered at once: `auth.signUp` already tells anyone whether
 * an address has an account, so hiding it here would protect nothing; the password check and the
 * per-account limit, counted before the lookup, keep this from being a faster oracle.
 */
export async function changeEmail(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { newEmail: string; currentPassword: string },
): Promise<{ ok: true }> {
  const user = await callerAccount(deps.db, auth);
  await verifyCurrentPassword(deps, user, input.currentPassword);
  if (input.newEmail === user.email) {
    throw new DomainError('INVALID_INPUT', {
      message: 'This is already your email address',
      details: { fieldErrors: { newEmail: ['is already your email address'] } },
    });
  }
  await limit(deps, 'changeEmail.user', user.id);
  await limit(deps, 'changeEmail.email', emailKey(deps.keys, input.newEmail));
  if (await findUserByEmail(deps.db, input.newEmail)) throw new DomainError('EMAIL_TAKEN');

  const code = randomCode();
  const values = {
    newEmail: input.newEmail,
    codeHash: changeCodeHash(deps, user.id, input.newEmail, code),
    attempts: 0,
    expiresAt: sql`now() + make_interval(secs => ${deps.env.EMAIL_CODE_TTL_SECONDS})`,
    createdAt: sql`now()`,
  };
  await deps.db.transaction(async (tx) => {
    await tx
      .insert(emailChanges)
      .values({ userId: user.id, ...values })
      .onConflictDoUpdate({ target: emailChanges.userId, set: values });
    await enqueueMail(
      tx,
      confirmEmailChangeMessage(input.newEmail, user.name, code, deps.env.EMAIL_CODE_TTL_SECONDS),
    );
  });
  deps.mail.kick();
  return { ok: true };
}

/**
 * Finishes an email change with the mailed code. Each try is counted atomically before the
 * comparison (5 per code, as sign-up codes); the old address is told, and sessions, known devices
 * and second factors stay, being bound to the account, not to its address.
 */
export async function confirmEmailChange(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { code: string },
): Promise<{ user: PublicUser }> {
  const { db } = deps;
  const [pending] = await db
    .select({
      attempts: emailChanges.attempts,
      expired: sql<boolean>`${emailChanges.expiresAt} <= now()`,
    })
    .from(emailChanges)
    .where(eq(emailChanges.userId, auth.userId));
  if (!pending) throw new DomainError('CODE_INVALID');
  if (pending.expired) throw new DomainError('CODE_EXPIRED');
  if (pending.attempts >= MAX_CODE_ATTEMPTS) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  const [counted] = await db
    .update(emailChanges)
    .set({ attempts: sql`${emailChanges.attempts} + 1` })
    .where(
      and(
        eq(emailChanges.userId, auth.userId),
        sql`${emailChanges.attempts} < ${MAX_CODE_ATTEMPTS}`,
      ),
    )
    .returning({ newEmail: emailChanges.newEmail, codeHash: emailChanges.codeHash });
  if (!counted) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  if (
    !sameHash(changeCodeHash(deps, auth.userId, counted.newEmail, input.code), counted.codeHash)
  ) {
    throw new DomainError('CODE_INVALID');
  }

  let changed: { before: UserRow; after: UserRow };
  try {
    changed = await db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(users)
        .where(and(eq(users.id, auth.userId), isNull(users.deletedAt)))
        .for('update');
      // The same code twice at once: only the call that still finds the pending change goes on.
      const [taken] = await tx
        .delete(emailChanges)
        .where(
          and(eq(emailChanges.userId, auth.userId), eq(emailChanges.codeHash, counted.codeHash)),
        )
        .returning({ userId: emailChanges.userId });
      if (!before || !taken) throw new DomainError('CODE_INVALID');
      // The unique index answers for an address someone signed up with since the code was sent.
      const [after] = await tx
        .update(users)
        .set({
          email: counted.newEmail,
          emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`,
        })
        .where(eq(users.id, before.id))
        .returning();
      if (!after) throw new DomainError('CODE_INVALID');
      // Links mailed to the old address stop working: people change address when they lose or
      // distrust that mailbox, and whoever holds it must not reset the password from it.
      await tx
        .update(passwordResetTokens)
        .set({ voidedAt: sql`now()` })
        .where(
          and(
            eq(passwordResetTokens.userId, before.id),
            isNull(passwordResetTokens.usedAt),
            isNull(passwordResetTokens.voidedAt),
          ),
        );
      await tx
        .update(signInReports)
        .set({ usedAt: sql`now()` })
        .where(and(eq(signInReports.userId, before.id), isNull(signInReports.usedAt)));
      await recordEvent(tx, {
        ...eventOf(deps, auth),
        type: 'email-changed',
        detail: { previousEmail: before.email, newEmail: after.email },
      });
      await enqueueMail(tx, emailChangedMessage(before.email, before.name, after.email));
      await promoteListedAdmins(tx, deps.env, { userId: before.id, origin: deps.request });
      return { before, after };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('EMAIL_TAKEN');
    throw error;
  }
  deps.mail.kick();
  return { user: toPublicUser(changed.after) };
}
