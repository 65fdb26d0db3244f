import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { mfaChallenges } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { VerifyMfaInput } from '../schemas.js';
import type { ServiceDeps } from './deps.js';
import { secondFactors } from './factors.js';
import { deviceHistory } from './known-devices.js';
import { limit } from './rate-limit.js';
import { checkSecondFactor } from './second-factor.js';
import { randomToken, sha256 } from './secrets.js';
import { recordEvent } from './security-log.js';
import { type ClientInfo, type SignedIn, startSession } from './session-start.js';
import { findUserById, type UserRow } from './users.js';
import { verifyAssertion } from './webauthn.js';

/** SPEC §9: 5 wrong codes kill a challenge. */
const MAX_ATTEMPTS = 5;

/**
 * The sign-in's first half, kept in the database (only a hash of the token) so any instance can
 * finish it; it remembers the device the sign-in started on.
 */
export async function createMfaChallenge(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  userId: string,
  device: { deviceId: string; deviceName: string | null },
): Promise<string> {
  const token = randomToken(32);
  await deps.db.insert(mfaChallenges).values({
    tokenHash: sha256(token),
    userId,
    deviceId: device.deviceId,
    deviceName: device.deviceName,
    expiresAt: sql`now() + make_interval(secs => ${deps.env.MFA_CHALLENGE_TTL_SECONDS})`,
  });
  return token;
}

/**
 * Claims one attempt on a live challenge in a single conditional update, so concurrent guesses
 * can never exceed the 5 allowed; a dead challenge says why.
 */
async function claimAttempt(deps: Pick<ServiceDeps, 'db'>, tokenHash: string) {
  const [row] = await deps.db
    .update(mfaChallenges)
    .set({ attempts: sql`${mfaChallenges.attempts} + 1` })
    .where(
      and(
        eq(mfaChallenges.tokenHash, tokenHash),
        isNull(mfaChallenges.usedAt),
        lt(mfaChallenges.attempts, MAX_ATTEMPTS),
        gt(mfaChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning();
  if (row) return row;
  const [dead] = await deps.db
    .select({
      expired: sql<boolean>`${mfaChallenges.expiresAt} <= now()`,
      usable: sql<boolean>`${mfaChallenges.usedAt} is null and ${mfaChallenges.attempts} < ${MAX_ATTEMPTS}`,
    })
    .from(mfaChallenges)
    .where(eq(mfaChallenges.tokenHash, tokenHash));
  throw new DomainError(
    dead?.usable && dead.expired ? 'MFA_CHALLENGE_EXPIRED' : 'MFA_CHALLENGE_INVALID',
  );
}

/** The account a live sign-in challenge belongs to (for its passkey options); claims no attempt. */
export async function challengedUser(db: Database, challengeToken: string): Promise<string> {
  const [row] = await db
    .select({ userId: mfaChallenges.userId })
    .from(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.tokenHash, sha256(challengeToken)),
        isNull(mfaChallenges.usedAt),
        lt(mfaChallenges.attempts, MAX_ATTEMPTS),
        gt(mfaChallenges.expiresAt, sql`now()`),
      ),
    );
  if (!row) throw new DomainError('MFA_CHALLENGE_INVALID');
  return row.userId;
}

/**
 * The `reauth.user` budget wrong codes at the sign-in step spend. Not the account's own: a stranger
 * who knows the password would spend it and lock the owner out of their session's password
 * change and two-factor settings. The owner's known devices each get their own, as with
 * `signIn.device` (SPEC §6.1); unknown devices share one.
 */
async function signInBudget(deps: Pick<ServiceDeps, 'db'>, user: UserRow, deviceId: string) {
  const { known } = await deviceHistory(deps.db, user.id, deviceId);
  return known ? `${user.id}:device:${deviceId}` : `${user.id}:sign-in`;
}

/** Checks the second factor the input carries; answers what it adds to the session's `amr`. */
async function proveSecondFactor(
  deps: ServiceDeps,
  user: UserRow,
  input: VerifyMfaInput,
  device: string,
): Promise<string[]> {
  const factors = await secondFactors(deps.db, user.id);
  // Every second factor removed meanwhile: the challenge no longer means anything.
  if (factors.methods.length === 0) throw new DomainError('MFA_CHALLENGE_INVALID');
  if (input.passkey !== undefined) {
    if (factors.passkeys === 0) throw new DomainError('PASSKEY_INVALID');
    const { userVerified } = await verifyAssertion(deps.db, deps.env, input.passkey, {
      expectedUserId: user.id,
      requireUserVerification: false,
    });
    return userVerified ? ['hwk', 'user'] : ['hwk'];
  }
  if (!factors.totp) throw new DomainError('MFA_CODE_INVALID');
  const [code, kind] =
    input.totp !== undefined
      ? ([input.totp, 'totp'] as const)
      : ([input.recoveryCode ?? '', 'recovery'] as const);
  await checkSecondFactor(
    deps,
    user,
    factors.totp,
    code,
    kind,
    await signInBudget(deps, user, device),
  );
  return ['otp'];
}

/** The sign-in's second half: a TOTP code, a recovery code or a passkey, then the session. */
export async function verifyMfa(
  deps: ServiceDeps,
  input: VerifyMfaInput,
  client: ClientInfo,
): Promise<SignedIn> {
  const { db } = deps;
  await limit(deps, 'verifyMfa.ip', rateLimitSubject(client.ip));
  const tokenHash = sha256(input.challengeToken);
  const challenge = await claimAttempt(deps, tokenHash);
  const user = await findUserById(db, challenge.userId);
  if (!user) throw new DomainError('MFA_CHALLENGE_INVALID');
  const factor = await proveSecondFactor(deps, user, input, challenge.deviceId).catch(
    async (error: unknown) => {
      if (
        error instanceof DomainError &&
        (error.reason === 'MFA_CODE_INVALID' || error.reason === 'PASSKEY_INVALID')
      ) {
        await recordEvent(db, {
          userId: user.id,
          type: 'mfa-failed',
          origin: client,
          deviceId: challenge.deviceId,
          detail: { method: input.passkey ? 'passkey' : input.totp ? 'totp' : 'recovery' },
        });
      }
      throw error;
    },
  );
  const result = await db.transaction(async (tx) => {
    const [used] = await tx
      .update(mfaChallenges)
      .set({ usedAt: sql`now()` })
      .where(and(eq(mfaChallenges.tokenHash, tokenHash), isNull(mfaChallenges.usedAt)))
      .returning({ tokenHash: mfaChallenges.tokenHash });
    // Finished concurrently by another request with another valid factor: one session only.
    if (!used) throw new DomainError('MFA_CHALLENGE_INVALID');
    return startSession(deps, tx, user, {
      deviceId: challenge.deviceId,
      deviceName: challenge.deviceName,
      client,
      amr: ['pwd', ...factor],
    });
  });
  deps.mail.kick();
  return result;
}
