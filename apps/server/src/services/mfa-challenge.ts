import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import { mfaChallenges } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { VerifyMfaInput } from '../schemas.js';
import type { ServiceDeps } from './deps.js';
import { limit } from './rate-limit.js';
import { checkSecondFactor } from './second-factor.js';
import { randomToken, sha256 } from './secrets.js';
import { type ClientInfo, type SignedIn, startSession } from './session-start.js';
import { enabledTotp } from './totp.js';
import { findUserById } from './users.js';

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

/** The sign-in's second half: a TOTP or recovery code against the challenge, then the session. */
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
  const totp = user && (await enabledTotp(db, user.id));
  // Two-factor turned off meanwhile: the challenge no longer means anything.
  if (!user || !totp) throw new DomainError('MFA_CHALLENGE_INVALID');
  const [code, kind] =
    input.totp !== undefined
      ? ([input.totp, 'totp'] as const)
      : ([input.recoveryCode ?? '', 'recovery'] as const);
  await checkSecondFactor(deps, user, totp, code, kind);
  const result = await db.transaction(async (tx) => {
    const [used] = await tx
      .update(mfaChallenges)
      .set({ usedAt: sql`now()` })
      .where(and(eq(mfaChallenges.tokenHash, tokenHash), isNull(mfaChallenges.usedAt)))
      .returning({ tokenHash: mfaChallenges.tokenHash });
    // Finished concurrently by another request with another valid code: one session only.
    if (!used) throw new DomainError('MFA_CHALLENGE_INVALID');
    return startSession(deps, tx, user, {
      deviceId: challenge.deviceId,
      deviceName: challenge.deviceName,
      client,
      amr: ['pwd', 'otp'],
    });
  });
  deps.mail.kick();
  return result;
}
