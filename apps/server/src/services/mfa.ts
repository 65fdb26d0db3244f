import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mfaRecoveryCodes, mfaTotp } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { mfaDisabledMessage, mfaEnabledMessage } from '../mail/templates.js';
import { verifyCurrentPassword } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { secondFactors } from './factors.js';
import { checkSecondFactor } from './second-factor.js';
import { eventOf, recordEvent } from './security-log.js';
import { type AuthSession, callerRows } from './sessions.js';
import {
  enabledTotp,
  newTotpSecret,
  recoveryCodesLeft,
  replaceRecoveryCodes,
  totpRow,
} from './totp.js';
import type { UserRow } from './users.js';

async function caller(db: Database, auth: AuthSession): Promise<UserRow> {
  return (await callerRows(db, auth)).user;
}

export async function mfaStatus(db: Database, auth: AuthSession) {
  const { totp, passkeys } = await secondFactors(db, auth.userId);
  return {
    totp: Boolean(totp),
    passkeys,
    recoveryCodesLeft: totp ? await recoveryCodesLeft(db, auth.userId) : 0,
  };
}

/** Starts (or restarts) an enrolment: a new secret, pending until a code from it confirms it. */
export async function enrollTotp(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string },
): Promise<{ secret: string; otpauthUri: string }> {
  const user = await caller(deps.db, auth);
  await verifyCurrentPassword(deps, user, input.currentPassword);
  const { secret, otpauthUri, sealed } = newTotpSecret(deps.keys, user);
  // Only a pending row is replaced: an enabled authenticator is never overwritten, even by a
  // concurrent enrolment.
  const [row] = await deps.db
    .insert(mfaTotp)
    .values({ userId: user.id, secretSealed: sealed })
    .onConflictDoUpdate({
      target: mfaTotp.userId,
      set: { secretSealed: sealed, lastUsedStep: null, createdAt: sql`now()` },
      setWhere: isNull(mfaTotp.enabledAt),
    })
    .returning({ userId: mfaTotp.userId });
  if (!row) throw new DomainError('MFA_ALREADY_ENABLED');
  return { secret, otpauthUri };
}

/** Confirms a pending enrolment with a first code; answers the first set of recovery codes. */
export async function confirmTotp(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  const user = await caller(deps.db, auth);
  const pending = await totpRow(deps.db, user.id);
  if (!pending || pending.enabledAt) throw new DomainError('MFA_NOT_PENDING');
  await checkSecondFactor(deps, user, pending, input.code, 'totp');
  const codes = await deps.db.transaction(async (tx) => {
    const [enabled] = await tx
      .update(mfaTotp)
      .set({ enabledAt: sql`now()` })
      .where(
        and(
          eq(mfaTotp.userId, user.id),
          eq(mfaTotp.secretSealed, pending.secretSealed),
          isNull(mfaTotp.enabledAt),
        ),
      )
      .returning({ userId: mfaTotp.userId });
    // A concurrent confirmation (or re-enrolment) got there first.
    if (!enabled) throw new DomainError('MFA_NOT_PENDING');
    const recoveryCodes = await replaceRecoveryCodes(tx, deps.keys, user.id);
    await recordEvent(tx, {
      ...eventOf(deps, auth),
      type: 'mfa-enabled',
      detail: { method: 'totp' },
    });
    await enqueueMail(tx, mfaEnabledMessage(user.email, user.name));
    return recoveryCodes;
  });
  deps.mail.kick();
  return { recoveryCodes: codes };
}

async function reauthWithFactor(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string; code: string },
) {
  const user = await caller(deps.db, auth);
  await verifyCurrentPassword(deps, user, input.currentPassword);
  const totp = await enabledTotp(deps.db, user.id);
  if (!totp) throw new DomainError('MFA_NOT_ENABLED');
  return { user, totp };
}

/** Turns two-factor off after the password and a code (TOTP or recovery); the codes die with it. */
export async function disableTotp(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string; code: string },
): Promise<{ ok: true }> {
  const { user, totp } = await reauthWithFactor(deps, auth, input);
  // Outside the transaction: a wrong code must still count against the limit.
  await checkSecondFactor(deps, user, totp, input.code);
  await deps.db.transaction(async (tx) => {
    await tx.delete(mfaTotp).where(eq(mfaTotp.userId, user.id));
    await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, user.id));
    await recordEvent(tx, {
      ...eventOf(deps, auth),
      type: 'mfa-disabled',
      detail: { method: 'totp' },
    });
    await enqueueMail(tx, mfaDisabledMessage(user.email, user.name));
  });
  deps.mail.kick();
  return { ok: true };
}

/** A new set of recovery codes after the password and a code; the old set dies. */
export async function regenerateRecoveryCodes(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string; code: string },
): Promise<{ recoveryCodes: string[] }> {
  const { user, totp } = await reauthWithFactor(deps, auth, input);
  await checkSecondFactor(deps, user, totp, input.code);
  const recoveryCodes = await deps.db.transaction((tx) =>
    replaceRecoveryCodes(tx, deps.keys, user.id),
  );
  deps.mail.kick();
  return { recoveryCodes };
}
