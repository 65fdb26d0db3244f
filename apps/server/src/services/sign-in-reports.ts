import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { sessions, signInReports } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { newSignInMessage, type SignInPlace } from '../mail/templates.js';
import type { ServiceDeps } from './deps.js';
import { forgetDevice } from './known-devices.js';
import { sendResetLink } from './password-reset.js';
import { randomToken, sha256 } from './secrets.js';
import { recordEvent } from './security-log.js';
import { findUserById, type UserRow } from './users.js';

/** SPEC §10: the "this wasn't me" link works for 7 days, once. */
const REPORT_TTL = sql`interval '7 days'`;

/**
 * Tells the owner about a sign-in from a device the account has not seen, with a one-time link
 * that ends that session; in the sign-in's transaction.
 */
export async function mailNewSignIn(
  deps: Pick<ServiceDeps, 'env'>,
  tx: Database,
  user: Pick<UserRow, 'id' | 'email' | 'name'>,
  place: Omit<SignInPlace, 'at'> & { sessionId: string },
) {
  const token = randomToken(32);
  await tx.insert(signInReports).values({
    tokenHash: sha256(token),
    userId: user.id,
    sessionId: place.sessionId,
    expiresAt: sql`now() + ${REPORT_TTL}`,
  });
  await enqueueMail(
    tx,
    newSignInMessage(user.email, user.name, deps.env.APP_URL, token, { ...place, at: new Date() }),
  );
}

/**
 * "This wasn't me": ends the reported session on every instance, records it, and mails the owner
 * a password-reset link. The token is the proof; no sign-in is needed (the owner may be locked out).
 */
export async function reportSignIn(deps: ServiceDeps, token: string): Promise<{ ok: true }> {
  const tokenHash = sha256(token);
  const revoked = await deps.db.transaction(async (tx) => {
    const [report] = await tx
      .update(signInReports)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(signInReports.tokenHash, tokenHash),
          isNull(signInReports.usedAt),
          gt(signInReports.expiresAt, sql`now()`),
        ),
      )
      .returning();
    if (!report) {
      const [used] = await tx
        .select({ usedAt: signInReports.usedAt })
        .from(signInReports)
        .where(eq(signInReports.tokenHash, tokenHash));
      throw new DomainError(used?.usedAt ? 'TOKEN_USED' : 'TOKEN_INVALID');
    }
    const user = await findUserById(tx, report.userId);
    if (!user) throw new DomainError('TOKEN_INVALID');
    // The reported device, not only the reported session: a device that signed in again since
    // (no mail the second time, it was known by then) goes too, and becomes a stranger again
    // (mailed on its next sign-in, no exemption from the lockout).
    const [reported] = await tx
      .select({ deviceId: sessions.deviceId })
      .from(sessions)
      .where(eq(sessions.id, report.sessionId));
    const ended = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: 'reported' })
      .where(
        and(
          eq(sessions.userId, user.id),
          isNull(sessions.revokedAt),
          reported
            ? or(eq(sessions.id, report.sessionId), eq(sessions.deviceId, reported.deviceId))
            : eq(sessions.id, report.sessionId),
        ),
      )
      .returning({ id: sessions.id });
    if (reported) await forgetDevice(tx, user.id, reported.deviceId);
    await recordEvent(tx, {
      userId: user.id,
      type: 'session-revoked',
      origin: deps.request,
      sessionId: report.sessionId,
      detail: { reason: 'reported-not-me', sessions: ended.length },
    });
    await sendResetLink(deps, tx, user);
    return ended.map((row) => row.id);
  });
  deps.mail.kick();
  await deps.sessionsRevoked(revoked);
  return { ok: true };
}
