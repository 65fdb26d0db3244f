import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { passkeys, webauthnChallenges } from '../db/schema.js';
import type { Env } from '../env.js';
import { DomainError } from '../errors.js';
import { type AuthenticatorTransport, authenticatorTransport } from '../schemas.js';
import { sha256 } from './secrets.js';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };
export type PasskeyRow = typeof passkeys.$inferSelect;
type Purpose = (typeof webauthnChallenges.$inferInsert)['purpose'];
type RelyingParty = Pick<Env, 'WEBAUTHN_RP_ID' | 'WEBAUTHN_RP_NAME' | 'WEBAUTHN_ORIGINS'>;

/** SPEC §9: a ceremony must be answered within 5 minutes. */
const CHALLENGE_TTL_SECONDS = 300;
/** WebAuthn Level 3: a credential id is at most 1023 bytes. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** What browsers are told to wait for, a little under the server's own expiry. */
const CEREMONY_TIMEOUT_MS = 240_000;

/** The WebAuthn user handle: the account id's 16 bytes (random, not personal data). */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}

function handleToUserId(handle: string): string | undefined {
  const hex = Buffer.from(handle, 'base64url').toString('hex');
  if (hex.length !== 32) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Only transports WebAuthn knows are stored and handed back to browsers. */
function knownTransports(transports: readonly string[] | undefined): AuthenticatorTransport[] {
  return (transports ?? []).flatMap((t) => {
    const known = authenticatorTransport.safeParse(t);
    return known.success ? [known.data] : [];
  });
}

/** A stored credential as the options name it (allowed, or excluded from registering again). */
function descriptor(p: Pick<PasskeyRow, 'credentialId' | 'transports'>) {
  return {
    id: p.credentialId,
    type: 'public-key' as const,
    transports: knownTransports(p.transports),
  };
}

async function storeChallenge(
  db: Database,
  challenge: string,
  purpose: Purpose,
  userId: string | null,
) {
  await db.insert(webauthnChallenges).values({
    challengeHash: sha256(challenge),
    purpose,
    userId,
    expiresAt: sql`now() + make_interval(secs => ${CHALLENGE_TTL_SECONDS})`,
  });
}

/** The challenge the browser signed, as its client data states it (checked again by the library). */
function challengeOf(clientDataJSON: string): string {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (data as { challenge?: unknown } | null)?.challenge;
    if (typeof challenge === 'string' && challenge.length > 0) return challenge;
  } catch {}
  throw new DomainError('PASSKEY_INVALID');
}

/**
 * Takes a live challenge of this purpose out of the database (single use: deleted as it is read,
 * so a replayed response, or two instances answering at once, finds nothing).
 */
async function takeChallenge(db: Database, clientDataJSON: string, purpose: Purpose) {
  const challenge = challengeOf(clientDataJSON);
  const [row] = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.challengeHash, sha256(challenge)),
        eq(webauthnChallenges.purpose, purpose),
        gt(webauthnChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: webauthnChallenges.userId });
  if (!row) throw new DomainError('PASSKEY_INVALID');
  return { challenge, userId: row.userId };
}

/** Creation options for a discoverable credential; existing ones are excluded so none is registered twice. */
export async function registrationCeremony(
  db: Database,
  env: RelyingParty,
  user: { id: string; email: string; name: string },
  existing: Pick<PasskeyRow, 'credentialId' | 'transports'>[],
) {
  const options = await generateRegistrationOptions({
    rpName: env.WEBAUTHN_RP_NAME,
    rpID: env.WEBAUTHN_RP_ID,
    userName: user.email,
    userDisplayName: user.name,
    userID: userHandle(user.id),
    attestationType: 'none',
    timeout: CEREMONY_TIMEOUT_MS,
    excludeCredentials: existing.map(descriptor),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  await storeChallenge(db, options.challenge, 'registration', user.id);
  return { ...options, excludeCredentials: existing.map(descriptor) };
}

/** Verifies a new credential against the caller's own registration challenge. */
export async function verifyRegistration(
  db: Database,
  env: RelyingParty,
  userId: string,
  response: RegistrationResponseJSON,
) {
  const taken = await takeChallenge(db, response.response.clientDataJSON, 'registration');
  if (taken.userId !== userId) throw new DomainError('PASSKEY_INVALID');
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge: taken.challenge,
    expectedOrigin: env.WEBAUTHN_ORIGINS,
    expectedRPID: env.WEBAUTHN_RP_ID,
    requireUserVerification: false,
  }).catch(() => ({ verified: false as const }));
  if (!result.verified) throw new DomainError('PASSKEY_INVALID');
  const info = result.registrationInfo;
  // The id the authenticator attested is the one stored: it must be the one the response names,
  // and within WebAuthn's 1023 bytes (a longer one could never sign in, yet would demand itself).
  if (
    info.credential.id !== response.id ||
    Buffer.from(info.credential.id, 'base64url').length > MAX_CREDENTIAL_ID_BYTES
  ) {
    throw new DomainError('PASSKEY_INVALID');
  }
  return {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: knownTransports(info.credential.transports),
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
  };
}

/**
 * Request options. Without a user, for a discoverable credential (no email asked, so nothing to
 * enumerate); with one (a second factor after the password), listing that user's credentials.
 */
export async function authenticationCeremony(
  db: Database,
  env: RelyingParty,
  user: { id: string; credentials: Pick<PasskeyRow, 'credentialId' | 'transports'>[] } | null,
) {
  const options = await generateAuthenticationOptions({
    rpID: env.WEBAUTHN_RP_ID,
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: user ? 'preferred' : 'required',
    ...(user ? { allowCredentials: user.credentials.map(descriptor) } : {}),
  });
  await storeChallenge(db, options.challenge, 'authentication', user?.id ?? null);
  const { allowCredentials: _, ...rest } = options;
  return user ? { ...rest, allowCredentials: user.credentials.map(descriptor) } : rest;
}

/**
 * Verifies an assertion: a live challenge (bound to `expectedUserId` when it was issued for one),
 * a registered credential whose owner matches the user handle, the signature, a counter that moved
 * forward and backup flags consistent with registration; then records the use.
 */
export async function verifyAssertion(
  db: Database,
  env: RelyingParty,
  response: AuthenticationResponseJSON,
  opts: { expectedUserId?: string; requireUserVerification: boolean },
): Promise<{ passkey: PasskeyRow; userVerified: boolean }> {
  const taken = await takeChallenge(db, response.response.clientDataJSON, 'authentication');
  const [passkey] = await db.select().from(passkeys).where(eq(passkeys.credentialId, response.id));
  const handle = response.response.userHandle;
  // Every party that names an owner must name the credential's: the caller (second factor), the
  // challenge (issued for one user) and the authenticator's user handle.
  const claimedOwners = [
    opts.expectedUserId,
    taken.userId ?? undefined,
    handle === undefined ? undefined : (handleToUserId(handle) ?? 'malformed'),
  ].filter((owner) => owner !== undefined);
  if (!passkey || claimedOwners.some((owner) => owner !== passkey.userId)) {
    throw new DomainError('PASSKEY_INVALID');
  }
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge: taken.challenge,
    expectedOrigin: env.WEBAUTHN_ORIGINS,
    expectedRPID: env.WEBAUTHN_RP_ID,
    credential: {
      id: passkey.credentialId,
      publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
      counter: passkey.counter,
      transports: passkey.transports,
    },
    requireUserVerification: opts.requireUserVerification,
  }).catch(() => null);
  const info = result?.verified ? result.authenticationInfo : null;
  // Backup eligibility is fixed when a credential is made: a change means another authenticator.
  if (!info || (info.credentialDeviceType === 'multiDevice') !== passkey.backupEligible) {
    throw new DomainError('PASSKEY_INVALID');
  }
  // Only a counter that moved forward is written: two concurrent uses of one signature lose here.
  const [used] = await db
    .update(passkeys)
    .set({ counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: sql`now()` })
    .where(
      and(
        eq(passkeys.id, passkey.id),
        info.newCounter > 0 ? sql`${passkeys.counter} < ${info.newCounter}` : sql`true`,
      ),
    )
    .returning();
  if (!used) throw new DomainError('PASSKEY_INVALID');
  return { passkey: used, userVerified: info.userVerified };
}
