import { and, asc, eq } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { passkeys } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { passkeyAddedMessage, passkeyRemovedMessage } from '../mail/templates.js';
import { verifyCurrentPassword } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { challengedUser } from './mfa-challenge.js';
import { limit } from './rate-limit.js';
import { eventOf, recordEvent } from './security-log.js';
import { type ClientInfo, type SignedIn, startSession } from './session-start.js';
import { type AuthSession, callerRows } from './sessions.js';
import { enabledTotp } from './totp.js';
import { findUserById } from './users.js';
import {
  type AuthenticationResponseJSON,
  authenticationCeremony,
  type PasskeyRow,
  type RegistrationResponseJSON,
  registrationCeremony,
  verifyAssertion,
  verifyRegistration,
} from './webauthn.js';

/** SPEC §9: adding a passkey needs a sign-in or a re-authentication in the last 10 minutes. */
const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

function toView(row: PasskeyRow): PasskeyView {
  return { id: row.id, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt };
}

function credentialsOf(db: Database, userId: string) {
  return db
    .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
    .from(passkeys)
    .where(eq(passkeys.userId, userId));
}

/**
 * Creation options for a new passkey. A session older than 10 minutes re-authenticates with the
 * current password (which counts against `reauth.user`); without it the answer is REAUTH_REQUIRED.
 */
export async function passkeyRegistrationOptions(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword?: string | undefined } | null | undefined,
) {
  const { user, session } = await callerRows(deps.db, auth);
  if (Date.now() - session.createdAt.getTime() > RECENT_SIGN_IN_MS) {
    if (input?.currentPassword === undefined) throw new DomainError('REAUTH_REQUIRED');
    await verifyCurrentPassword(deps, user, input.currentPassword);
  }
  return registrationCeremony(deps.db, deps.env, user, await credentialsOf(deps.db, user.id));
}

/** Verifies and stores a new passkey, and tells the owner by mail. */
export async function registerPasskey(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { response: RegistrationResponseJSON; name: string },
): Promise<PasskeyView> {
  const { user } = await callerRows(deps.db, auth);
  const credential = await verifyRegistration(deps.db, deps.env, user.id, input.response);
  const row = await deps.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(passkeys)
      .values({ userId: user.id, name: input.name, ...credential })
      .onConflictDoNothing({ target: passkeys.credentialId })
      .returning();
    // The same authenticator registered twice (by this account or another): refused, not moved.
    if (!inserted) throw new DomainError('PASSKEY_INVALID');
    await recordEvent(tx, {
      ...eventOf(deps, auth),
      type: 'passkey-added',
      detail: { passkeyId: inserted.id, name: input.name },
    });
    await enqueueMail(tx, passkeyAddedMessage(user.email, user.name, input.name));
    return inserted;
  });
  deps.mail.kick();
  return toView(row);
}

export async function listPasskeys(db: Database, auth: AuthSession): Promise<PasskeyView[]> {
  const rows = await db
    .select()
    .from(passkeys)
    .where(eq(passkeys.userId, auth.userId))
    .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
  return rows.map(toView);
}

/** Another user's passkey id is indistinguishable from a missing one. */
export async function renamePasskey(
  db: Database,
  auth: AuthSession,
  input: { id: string; name: string },
): Promise<PasskeyView> {
  const [row] = await db
    .update(passkeys)
    .set({ name: input.name })
    .where(and(eq(passkeys.id, input.id), eq(passkeys.userId, auth.userId)))
    .returning();
  if (!row) throw new DomainError('PASSKEY_NOT_FOUND');
  return toView(row);
}

export async function removePasskey(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { id: string; currentPassword: string },
): Promise<{ ok: true }> {
  const { user, session } = await callerRows(deps.db, auth);
  // Checked first, so the answer for a missing id says nothing to someone without the password.
  await verifyCurrentPassword(deps, user, input.currentPassword);
  await deps.db.transaction(async (tx) => {
    // The account's passkeys locked: two removals at once see each other's outcome.
    const own = await tx
      .select({ id: passkeys.id, name: passkeys.name })
      .from(passkeys)
      .where(eq(passkeys.userId, user.id))
      .for('update');
    const removed = own.find((p) => p.id === input.id);
    if (!removed) throw new DomainError('PASSKEY_NOT_FOUND');
    // The last second factor goes only from a session that proved one: the password alone must
    // not turn two-factor off (turning TOTP off asks for a code for the same reason).
    if (own.length === 1 && !(await enabledTotp(tx, user.id)) && session.amr.length < 2) {
      throw new DomainError('REAUTH_REQUIRED', {
        message: 'Sign in with a passkey before removing your last one',
      });
    }
    await tx.delete(passkeys).where(eq(passkeys.id, removed.id));
    await recordEvent(tx, {
      ...eventOf(deps, auth),
      type: 'passkey-removed',
      detail: { passkeyId: input.id, name: removed.name },
    });
    await enqueueMail(tx, passkeyRemovedMessage(user.email, user.name, removed.name));
  });
  deps.mail.kick();
  return { ok: true };
}

/**
 * Request options for signing in. Anonymous callers get options for a discoverable credential;
 * with the challenge token of a sign-in whose password was right, that account's credentials.
 */
export async function passkeySignInOptions(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  ip: string | undefined,
  challengeToken?: string,
) {
  // Each call stores a challenge: anonymous callers are held to a budget per address, before
  // anything else is read.
  await limit(deps, 'passkeyOptions.ip', rateLimitSubject(ip));
  const forUserId = challengeToken ? await challengedUser(deps.db, challengeToken) : undefined;
  const user = forUserId
    ? { id: forUserId, credentials: await credentialsOf(deps.db, forUserId) }
    : null;
  return authenticationCeremony(deps.db, deps.env, user);
}

/**
 * Passwordless sign-in: a user-verified discoverable credential is two factors on its own
 * (possession and the authenticator's PIN or biometric), so no second step follows.
 */
export async function signInWithPasskey(
  deps: ServiceDeps,
  input: {
    response: AuthenticationResponseJSON;
    device?: { id?: string | undefined; name?: string | undefined } | undefined;
  },
  client: ClientInfo,
): Promise<SignedIn> {
  await limit(deps, 'signIn.ip', rateLimitSubject(client.ip));
  const { passkey } = await verifyAssertion(deps.db, deps.env, input.response, {
    requireUserVerification: true,
  });
  const user = await findUserById(deps.db, passkey.userId);
  if (!user) throw new DomainError('PASSKEY_INVALID');
  if (!user.emailVerifiedAt) throw new DomainError('EMAIL_NOT_VERIFIED');
  const result = await deps.db.transaction((tx) =>
    startSession(deps, tx, user, {
      deviceId: client.deviceId ?? input.device?.id ?? crypto.randomUUID(),
      deviceName: input.device?.name ?? null,
      client,
      amr: ['hwk', 'user'],
    }),
  );
  return result;
}
