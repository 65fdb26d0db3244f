import { and, eq, isNull, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { emailChanges, mfaChallenges, passwordResetTokens, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { passwordChangedMessage, resetPasswordMessage } from '../mail/templates.js';
import type { ResetPasswordInput } from '../schemas.js';
import type { ServiceDeps } from './deps.js';
import { forgetDevices } from './known-devices.js';
import { hashPassword, isCommonPassword } from './passwords.js';
import { limit } from './rate-limit.js';
import { emailKey, randomToken, sha256 } from './secrets.js';
import { recordEvent } from './security-log.js';
import { revokeAllSessions } from './sessions.js';
import { findUserByEmail, type UserRow } from './users.js';

/** Always `{ok:true}`; an existing account gets a reset link, and any older link stops working. */
export async function forgotPassword(
  deps: ServiceDeps,
  email: string,
  ip: string | undefined,
): Promise<{ ok: true }> {
  // Per IP as well as per email: one address must not make us mail every account (SPEC §6.1).
  await limit(deps, 'forgotPassword.ip', rateLimitSubject(ip));
  await limit(deps, 'forgotPassword.email', emailKey(deps.keys, email));
  const user = await findUserByEmail(deps.db, email);
  if (!user) return { ok: true };
  await deps.db.transaction((tx) => sendResetLink(deps, tx, user));
  deps.mail.kick();
  return { ok: true };
}

/**
 * Mails a new reset link in the caller's transaction; any older link of the account stops
 * working. The caller kicks the mail worker after the commit.
 */
export async function sendResetLink(
  deps: Pick<ServiceDeps, 'env'>,
  tx: Database,
  user: Pick<UserRow, 'id' | 'email' | 'name'>,
) {
  const token = randomToken(32);
  await tx
    .update(passwordResetTokens)
    .set({ voidedAt: sql`now()` })
    .where(
      and(
        eq(passwordResetTokens.userId, user.id),
        isNull(passwordResetTokens.usedAt),
        isNull(passwordResetTokens.voidedAt),
      ),
    );
  await tx.insert(passwordResetTokens).values({
    userId: user.id,
    tokenHash: sha256(token),
    expiresAt: sql`now() + make_interval(secs => ${deps.env.RESET_TOKEN_TTL_SECONDS})`,
  });
  await enqueueMail(
    tx,
    resetPasswordMessage(
      user.email,
      user.name,
      deps.env.APP_URL,
      token,
      deps.env.RESET_TOKEN_TTL_SECONDS,
    ),
  );
}

/** Sets a new password from a reset link (single use); every session of the account is revoked. */
export async function resetPassword(
  deps: ServiceDeps,
  input: ResetPasswordInput,
): Promise<{ ok: true; userId: string; revoked: string[] }> {
  if (input.password !== input.confirmPassword) throw new DomainError('PASSWORDS_DIFFER');
  const tokenHash = sha256(input.token);
  const [row] = await deps.db
    .select({
      id: passwordResetTokens.id,
      userId: passwordResetTokens.userId,
      used: sql<boolean>`${passwordResetTokens.usedAt} is not null`,
      voided: sql<boolean>`${passwordResetTokens.voidedAt} is not null`,
      expired: sql<boolean>`${passwordResetTokens.expiresAt} <= now()`,
    })
    .from(passwordResetTokens)
    .where(eq(passwordResetTokens.tokenHash, tokenHash));
  if (!row || row.voided) throw new DomainError('TOKEN_INVALID');
  if (row.used) throw new DomainError('TOKEN_USED');
  if (row.expired) throw new DomainError('TOKEN_EXPIRED');
  // Checked before the token is spent, so a weak choice does not burn the link.
  if (isCommonPassword(input.password)) throw new DomainError('WEAK_PASSWORD');

  const passwordHash = await hashPassword(input.password, deps.env.BCRYPT_COST);
  const revoked = await deps.db.transaction(async (tx) => {
    const [spent] = await tx
      .update(passwordResetTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(passwordResetTokens.id, row.id),
          isNull(passwordResetTokens.usedAt),
          isNull(passwordResetTokens.voidedAt),
        ),
      )
      .returning({ id: passwordResetTokens.id });
    if (!spent) throw new DomainError('TOKEN_USED');
    // Reading the link proves the mailbox is the account owner's.
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        passwordChangedAt: sql`now()`,
        emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`,
      })
      .where(eq(users.id, row.userId))
      .returning();
    if (!user) throw new DomainError('TOKEN_INVALID');
    const ids = await revokeAllSessions(tx, user.id, { reason: 'password-reset' });
    await forgetDevices(tx, user.id);
    // A sign-in half done with the old password must not finish with the new one in place.
    await tx.delete(mfaChallenges).where(eq(mfaChallenges.userId, user.id));
    // So does an email change started before it (by whoever held the account then).
    await tx.delete(emailChanges).where(eq(emailChanges.userId, user.id));
    await recordEvent(tx, {
      userId: user.id,
      type: 'password-reset',
      origin: deps.request,
      detail: { sessionsRevoked: ids.length },
    });
    await enqueueMail(tx, passwordChangedMessage(user.email, user.name, 'reset'));
    return ids;
  });
  deps.mail.kick();
  await deps.sessionsRevoked(revoked);
  return { ok: true, userId: row.userId, revoked };
}
