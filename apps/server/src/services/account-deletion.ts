import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import {
  emailChanges,
  emailCodes,
  knownDevices,
  mailOutbox,
  mfaChallenges,
  mfaRecoveryCodes,
  mfaTotp,
  passkeys,
  passwordResetTokens,
  securityEvents,
  sessions,
  signInReports,
  users,
  webauthnChallenges,
} from '../db/schema.js';
import { DomainError } from '../errors.js';
import { keepAnAdmin } from './admin-roles.js';
import { verifyCurrentPassword } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { hashPassword } from './passwords.js';
import { randomToken } from './secrets.js';
import type { AuthSession } from './sessions.js';
import { findUserById } from './users.js';

/** What the other party of a transfer sees of a deleted account. */
export const DELETED_USER_NAME = 'Deleted user';

/**
 * The tombstone's address: unique (the id), never routable (RFC 2606 `.invalid`), and never equal
 * to any email an input can carry (a `:` fails the email schema), so nobody can sign in as, send
 * to, or find a deleted account, and the person may sign up again with their old address.
 */
export const tombstoneEmail = (userId: string) => `deleted:${userId}@deleted.invalid`;

/** The tables holding a person's data by user id; transfers stay, pointing at the tombstone. */
const personalTables = [
  knownDevices,
  emailCodes,
  passwordResetTokens,
  securityEvents,
  signInReports,
  mfaTotp,
  mfaRecoveryCodes,
  mfaChallenges,
  passkeys,
  webauthnChallenges,
] as const;

/**
 * SPEC §10 `account.delete`: after the current password, everything personal goes in one
 * transaction and the users row becomes a tombstone ("Deleted user", no email or usable password);
 * then every session's sockets end on every instance. The last active admin cannot leave.
 */
export async function deleteAccount(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string },
): Promise<{ ok: true }> {
  const user = await findUserById(deps.db, auth.userId);
  if (!user || user.deletedAt) throw new DomainError('UNAUTHENTICATED');
  await verifyCurrentPassword(deps, user, input.currentPassword);
  // Nobody knows this password (256 random bits); bcrypt at its lowest cost is enough for that,
  // and the column keeps a well-formed hash for any code that ever compares against it.
  const unusableHash = await hashPassword(randomToken(32), 4);

  const revoked = await deps.db.transaction(async (tx) => {
    // Admin rows first, then the caller's: the order every admin-removing action locks in.
    await keepAnAdmin(tx, user.id);
    const [row] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, user.id), isNull(users.deletedAt)))
      .for('update');
    // Deleted by a concurrent call meanwhile: this session is gone with it.
    if (!row) throw new DomainError('UNAUTHENTICATED');
    const ended = await tx
      .delete(sessions)
      .where(eq(sessions.userId, row.id))
      .returning({ id: sessions.id });
    await forgetMail(tx, row);
    for (const table of personalTables) {
      await tx.delete(table).where(eq(table.userId, row.id));
    }
    await tx
      .update(users)
      .set({
        email: tombstoneEmail(row.id),
        name: DELETED_USER_NAME,
        passwordHash: unusableHash,
        emailVerifiedAt: null,
        passwordChangedAt: null,
        role: 'user',
        disabledAt: null,
        disabledReason: null,
        deletedAt: sql`now()`,
      })
      .where(eq(users.id, row.id));
    return ended.map((session) => session.id);
  });
  await deps.sessionsRevoked(revoked);
  return { ok: true };
}

/** Mail to the person's address (and to a pending new one), sent or not, with its pending change. */
async function forgetMail(tx: Database, user: { id: string; email: string }) {
  const pending = await tx
    .delete(emailChanges)
    .where(eq(emailChanges.userId, user.id))
    .returning({ newEmail: emailChanges.newEmail });
  const addresses = [user.email, ...pending.map((change) => change.newEmail)];
  await tx.delete(mailOutbox).where(inArray(mailOutbox.to, addresses));
}
