import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { emailChanges, mfaChallenges, refreshTokens, sessions, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { passwordChangedMessage } from '../mail/templates.js';
import type { SignInInput } from '../schemas.js';
import { verifyAccessToken } from './access-tokens.js';
import type { ServiceDeps } from './deps.js';
import { type SecondFactorMethod, secondFactors } from './factors.js';
import { forgetDevices, isKnownDevice } from './known-devices.js';
import { createMfaChallenge } from './mfa-challenge.js';
import { hashPassword, isCommonPassword, spendPasswordCheck, verifyPassword } from './passwords.js';
import { clear, limit, release } from './rate-limit.js';
import { emailKey, sha256 } from './secrets.js';
import { recordEvent, recordFailedSignIn } from './security-log.js';
import {
  type ClientInfo,
  issueTokens,
  type SignedIn,
  startSession,
  type TokenPair,
} from './session-start.js';
import { type AuthSession, revokeAllSessions } from './sessions.js';
import { findUserByEmail, findUserById } from './users.js';

export type { ClientInfo, SignedIn, TokenPair };

/** A rotated refresh token presented again within this window is a benign retry, not theft. */
const REUSE_GRACE_SECONDS = 10;
/** `lastUsedAt` is written at most this often per session, keeping the auth check read-only. */
const TOUCH_INTERVAL_MS = 60_000;

/** What `auth.signIn` answers when the account has a second factor: no session exists yet. */
export interface MfaRequired {
  mfaRequired: true;
  challengeToken: string;
  methods: SecondFactorMethod[];
}

export async function signIn(
  deps: ServiceDeps,
  input: SignInInput,
  client: ClientInfo,
): Promise<SignedIn | MfaRequired> {
  const { db } = deps;
  const ip = rateLimitSubject(client.ip);
  const emailSubject = emailKey(deps.keys, input.email);
  // The browser's cookie, else the id a non-browser client keeps (SDK token store, CLI).
  const claimedDevice = client.deviceId ?? input.device?.id;
  const known = await isKnownDevice(db, input.email, claimedDevice);
  // A known device fails against its own budget instead of the account's: strangers failing from
  // many addresses exhaust `signIn.email`, never the owner's device (SPEC §6.1).
  const [accountLimit, accountSubject] = known
    ? (['signIn.device', `${emailSubject}:${claimedDevice}`] as const)
    : (['signIn.email', emailSubject] as const);
  await limit(deps, 'signIn.ip', ip);
  // Failure-only limits still claim the attempt before the password is checked, so concurrent
  // guesses cannot all slip past a count that has not been written yet; a success gives it back.
  await limit(deps, 'signIn.emailIp', `${emailSubject}:${ip}`);
  await limit(deps, accountLimit, accountSubject);

  const user = await findUserByEmail(db, input.email);
  const valid = user
    ? await verifyPassword(input.password, user.passwordHash)
    : await spendPasswordCheck(input.password, deps.env.BCRYPT_COST);
  if (!user || !valid) {
    // Only an existing account has a log; the typed password is never part of it.
    if (user) await recordFailedSignIn(db, user.id, client, claimedDevice);
    throw new DomainError('INVALID_CREDENTIALS');
  }
  await clear(db, 'signIn.emailIp', `${emailSubject}:${ip}`);
  await release(db, accountLimit, accountSubject);
  if (!user.emailVerifiedAt) throw new DomainError('EMAIL_NOT_VERIFIED');
  if (user.disabledAt) throw new DomainError('ACCOUNT_DISABLED');

  const deviceId = claimedDevice ?? randomUUID();
  const deviceName = input.device?.name ?? null;
  // SPEC §9: with a second factor the password only earns a challenge, never a session.
  const { methods } = await secondFactors(db, user.id);
  if (methods.length > 0) {
    const challengeToken = await createMfaChallenge(deps, user.id, { deviceId, deviceName });
    return { mfaRequired: true, challengeToken, methods };
  }
  return db.transaction((tx) =>
    startSession(deps, tx, user, { deviceId, deviceName, client, amr: ['pwd'] }),
  );
}

/**
 * Rotates a refresh token. A live token is swapped for a new one; a token rotated less than 10 s
 * ago gets another live token for the same session; an older rotated token revokes the session.
 */
export async function refresh(
  deps: ServiceDeps,
  token: string | undefined,
): Promise<TokenPair & { deviceId: string }> {
  const { db, env } = deps;
  if (!token) throw new DomainError('REFRESH_INVALID');
  const tokenHash = sha256(token);
  const [row] = await db
    .select({
      sessionId: sessions.id,
      userId: sessions.userId,
      deviceId: sessions.deviceId,
      expiresAt: sessions.expiresAt,
      amr: sessions.amr,
      revoked: sql<boolean>`${sessions.revokedAt} is not null`,
      expired: sql<boolean>`${sessions.expiresAt} <= now() or ${sessions.lastUsedAt} <= now() - make_interval(secs => ${env.SESSION_IDLE_TTL_SECONDS})`,
      rotated: sql<boolean>`${refreshTokens.rotatedAt} is not null`,
      inGrace: sql<boolean>`${refreshTokens.rotatedAt} > now() - make_interval(secs => ${REUSE_GRACE_SECONDS})`,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash));
  if (!row || row.revoked) throw new DomainError('REFRESH_INVALID');
  if (row.expired) throw new DomainError('REFRESH_EXPIRED');

  const session = {
    id: row.sessionId,
    userId: row.userId,
    expiresAt: row.expiresAt,
    amr: row.amr,
  };
  const pair = await db.transaction(async (tx) => {
    if (!row.rotated) {
      // Losing this race to a concurrent refresh of the same token is the benign-retry case:
      // either way this request gets a live token of its own.
      await tx
        .update(refreshTokens)
        .set({ rotatedAt: sql`now()` })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)));
    }
    const inGrace = !row.rotated || row.inGrace;
    if (!inGrace) {
      await tx
        .update(sessions)
        .set({ revokedAt: sql`now()`, revokedReason: 'refresh-reused' })
        .where(and(eq(sessions.id, session.id), isNull(sessions.revokedAt)));
      await recordEvent(tx, {
        userId: session.userId,
        type: 'refresh-reused',
        origin: deps.request,
        deviceId: row.deviceId,
        sessionId: session.id,
        flags: ['token-reuse'],
      });
      return null;
    }
    await tx.update(sessions).set({ lastUsedAt: sql`now()` }).where(eq(sessions.id, session.id));
    return issueTokens(deps, tx, session);
  });
  if (!pair) {
    await deps.sessionsRevoked([session.id]);
    throw new DomainError('REFRESH_REUSED');
  }
  return { ...pair, deviceId: row.deviceId };
}

/**
 * Verifies the access token, then checks its session in the database (one primary-key read), so a
 * revoked session is refused on the very next request on every instance.
 */
export async function authenticate(
  deps: Pick<ServiceDeps, 'db' | 'env' | 'keys'>,
  token: string | undefined,
  options: { allowExpiredToken?: boolean } = {},
): Promise<AuthSession> {
  if (!token) throw new DomainError('UNAUTHENTICATED');
  const claims = await verifyAccessToken(deps.keys.jwt, token, {
    allowExpired: options.allowExpiredToken ?? false,
  });
  const [row] = await sessionCheck(deps.db).execute({
    sessionId: claims.sessionId,
    idleSeconds: deps.env.SESSION_IDLE_TTL_SECONDS,
  });
  if (!row?.live || row.session.userId !== claims.userId) {
    throw new DomainError('UNAUTHENTICATED', { message: 'The session has ended; sign in again' });
  }
  let { session } = row;
  if (Date.now() - session.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    const [touched] = await deps.db
      .update(sessions)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(sessions.id, claims.sessionId))
      .returning();
    if (touched) session = touched;
  }
  return {
    sessionId: claims.sessionId,
    userId: claims.userId,
    deviceId: session.deviceId,
    tokenExpiresAt: claims.expiresAt ?? 0,
    rows: { user: row.user, session },
  };
}

/**
 * The check behind every authenticated call, prepared once per database: the session (live, not
 * idle) and its user in one round trip, so `auth.me` needs no second query.
 */
const sessionChecks = new WeakMap<Database, ReturnType<typeof prepareSessionCheck>>();

function prepareSessionCheck(db: Database) {
  return db
    .select({
      session: sessions,
      user: users,
      live: sql<boolean>`${sessions.revokedAt} is null and ${sessions.expiresAt} > now() and ${sessions.lastUsedAt} > now() - make_interval(secs => ${sql.placeholder('idleSeconds')})`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare('session_check');
}

function sessionCheck(db: Database) {
  let check = sessionChecks.get(db);
  if (!check) {
    check = prepareSessionCheck(db);
    sessionChecks.set(db, check);
  }
  return check;
}

/**
 * Re-authentication with the current password, for a caller who already holds a session (a stolen
 * access token must not become an oracle for the password): 5 wrong answers per 15 min per user
 * (`reauth.user`, SPEC §6.1), claimed before the compare so concurrent guesses are counted too.
 */
export async function verifyCurrentPassword(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  user: { id: string; passwordHash: string },
  password: string,
): Promise<void> {
  await limit(deps, 'reauth.user', user.id);
  if (!(await verifyPassword(password, user.passwordHash))) {
    throw new DomainError('INVALID_CREDENTIALS', {
      code: 'BAD_REQUEST',
      message: 'The current password is wrong',
    });
  }
  await release(deps.db, 'reauth.user', user.id);
}

/** Changes the password after checking the current one; every other session is revoked. */
export async function changePassword(
  deps: ServiceDeps,
  auth: AuthSession,
  input: { currentPassword: string; newPassword: string },
): Promise<{ ok: true; revoked: string[] }> {
  const user = await findUserById(deps.db, auth.userId);
  if (!user) throw new DomainError('UNAUTHENTICATED');
  await verifyCurrentPassword(deps, user, input.currentPassword);
  if (isCommonPassword(input.newPassword)) throw new DomainError('WEAK_PASSWORD');
  const passwordHash = await hashPassword(input.newPassword, deps.env.BCRYPT_COST);
  const revoked = await deps.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: sql`now()` })
      .where(eq(users.id, user.id));
    const ids = await revokeAllSessions(tx, user.id, {
      except: auth.sessionId,
      reason: 'password-changed',
    });
    await forgetDevices(tx, user.id, auth.deviceId);
    // A sign-in half done with the old password must not finish with the new one in place.
    await tx.delete(mfaChallenges).where(eq(mfaChallenges.userId, user.id));
    // So does an email change started before it (by whoever held the account then).
    await tx.delete(emailChanges).where(eq(emailChanges.userId, user.id));
    await recordEvent(tx, {
      userId: user.id,
      type: 'password-changed',
      origin: deps.request,
      deviceId: auth.deviceId,
      sessionId: auth.sessionId,
      detail: { sessionsRevoked: ids.length },
    });
    await enqueueMail(tx, passwordChangedMessage(user.email, user.name, 'changed'));
    return ids;
  });
  deps.mail.kick();
  await deps.sessionsRevoked(revoked);
  return { ok: true, revoked };
}
