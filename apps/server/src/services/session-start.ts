import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { refreshTokens, sessions, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { signAccessToken } from './access-tokens.js';
import type { ServiceDeps } from './deps.js';
import { deviceHistory, rememberDevice } from './known-devices.js';
import { randomToken, sha256 } from './secrets.js';
import { hasSignedInBefore, recordEvent, signInFlags } from './security-log.js';
import { mailNewSignIn } from './sign-in-reports.js';
import { describeDevice } from './user-agent.js';
import { type PublicUser, toPublicUser, type UserRow } from './users.js';

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface ClientInfo {
  ip: string | undefined;
  userAgent: string | undefined;
  /** From the `deviceId` cookie: the same browser keeps its device id across sign-ins. */
  deviceId: string | undefined;
}

/** What a finished sign-in answers (`auth.signIn`, `auth.verifyMfa`). */
export type SignedIn = { user: PublicUser; session: { id: string; deviceId: string } } & TokenPair;

/** A new refresh token and an access token for a session; the token carries the session's `amr`. */
export async function issueTokens(
  deps: Pick<ServiceDeps, 'env' | 'keys'>,
  db: Database,
  session: { id: string; userId: string; expiresAt: Date; amr: string[] },
): Promise<TokenPair> {
  const refreshToken = randomToken(32);
  await db.insert(refreshTokens).values({ tokenHash: sha256(refreshToken), sessionId: session.id });
  const access = await signAccessToken(
    deps.keys.jwt,
    { userId: session.userId, sessionId: session.id, amr: session.amr },
    deps.env.ACCESS_TOKEN_TTL_SECONDS,
  );
  const idleEnd = Date.now() + deps.env.SESSION_IDLE_TTL_SECONDS * 1000;
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: new Date(Math.min(session.expiresAt.getTime(), idleEnd)),
  };
}

/**
 * Opens a session for a user whose sign-in is complete, remembers the device for the account
 * (SPEC §6.1) and issues its tokens; run it in a transaction.
 */
export async function startSession(
  deps: Pick<ServiceDeps, 'env' | 'keys'>,
  tx: Database,
  user: UserRow,
  opts: { deviceId: string; deviceName: string | null; client: ClientInfo; amr: string[] },
): Promise<SignedIn> {
  const { env } = deps;
  // Every way in (password, second factor, passkey) ends here: a disabled account gets no session.
  // Read under a share lock, not from `user`: disabling and deleting lock the row for update, so an account
  // disabled or deleted while this sign-in was checking its password gets no session, and one
  // disabled just after sees this session revoked with the others.
  const [current] = await tx
    .select({ disabledAt: users.disabledAt, deletedAt: users.deletedAt })
    .from(users)
    .where(eq(users.id, user.id))
    .for('share');
  if (!current || current.deletedAt) throw new DomainError('INVALID_CREDENTIALS');
  if (current.disabledAt) throw new DomainError('ACCOUNT_DISABLED');
  const device = describeDevice(opts.client.userAgent);
  const history = await deviceHistory(tx, user.id, opts.deviceId);
  const firstSignIn = !history.anyKnown && !(await hasSignedInBefore(tx, user.id));
  const newDevice = !history.known && !firstSignIn;
  const flags = await signInFlags(tx, user.id, {
    ip: opts.client.ip,
    newDevice,
    firstSignIn,
  });
  await rememberDevice(tx, user.id, opts.deviceId);
  const [session] = await tx
    .insert(sessions)
    .values({
      userId: user.id,
      deviceId: opts.deviceId,
      deviceName: opts.deviceName,
      browser: device.browser ?? null,
      os: device.os ?? null,
      deviceType: device.type ?? null,
      ip: opts.client.ip ?? null,
      amr: opts.amr,
      expiresAt: sql`now() + make_interval(secs => ${env.REFRESH_TOKEN_TTL_SECONDS})`,
    })
    .returning({
      id: sessions.id,
      userId: sessions.userId,
      expiresAt: sessions.expiresAt,
      amr: sessions.amr,
    });
  if (!session) throw new Error('session insert returned nothing');
  const event = {
    userId: user.id,
    origin: opts.client,
    deviceId: opts.deviceId,
    sessionId: session.id,
  };
  await recordEvent(tx, { ...event, type: 'sign-in', flags, detail: { amr: opts.amr } });
  if (newDevice) {
    await recordEvent(tx, { ...event, type: 'new-device', flags });
    await mailNewSignIn(deps, tx, user, {
      sessionId: session.id,
      deviceName: opts.deviceName,
      ...device,
      ip: opts.client.ip,
    });
  }
  const tokens = await issueTokens(deps, tx, session);
  return {
    user: toPublicUser(user),
    session: { id: session.id, deviceId: opts.deviceId },
    ...tokens,
  };
}
