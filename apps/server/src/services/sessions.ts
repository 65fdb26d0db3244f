import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { sessions, users } from '../db/schema.js';
import type { Env } from '../env.js';
import { DomainError } from '../errors.js';
import type { ServiceDeps } from './deps.js';
import { recordEvent } from './security-log.js';
import { toPublicUser, type UserRow } from './users.js';

/** The caller's session, as the auth middleware hands it to procedures. */
export interface AuthSession {
  sessionId: string;
  userId: string;
  deviceId: string;
  /** When the access token that proved this session expires (unix seconds). */
  tokenExpiresAt: number;
  /** The rows read to prove it, for this request only (sockets keep the proof, not the rows). */
  rows?: { user: UserRow; session: SessionRow } | undefined;
}

export interface SessionView {
  id: string;
  deviceId: string;
  device: { name?: string; browser?: string; os?: string; type?: string };
  ip?: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  current: boolean;
}

type SessionRow = typeof sessions.$inferSelect;

/** A session is live until revoked, past its absolute end, or idle for longer than allowed. */
export function liveSession(env: Pick<Env, 'SESSION_IDLE_TTL_SECONDS'>) {
  return and(
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, sql`now()`),
    gt(sessions.lastUsedAt, sql`now() - make_interval(secs => ${env.SESSION_IDLE_TTL_SECONDS})`),
  );
}

export function toSessionView(row: SessionRow, currentSessionId: string | undefined): SessionView {
  const device: SessionView['device'] = {};
  if (row.deviceName) device.name = row.deviceName;
  if (row.browser) device.browser = row.browser;
  if (row.os) device.os = row.os;
  if (row.deviceType) device.type = row.deviceType;
  return {
    id: row.id,
    deviceId: row.deviceId,
    device,
    ...(row.ip ? { ip: row.ip } : {}),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    current: row.id === currentSessionId,
  };
}

export async function listSessions(
  db: Database,
  env: Env,
  auth: AuthSession,
): Promise<SessionView[]> {
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, auth.userId), liveSession(env)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
  return rows.map((row) => toSessionView(row, auth.sessionId));
}

/** The caller's user and session in one read (`auth.me`). */
/** The caller's user and session rows: those its auth check read, else read now. */
export async function callerRows(
  db: Database,
  auth: AuthSession,
): Promise<{ user: UserRow; session: SessionRow }> {
  const [row] = auth.rows
    ? [auth.rows]
    : await db
        .select({ user: users, session: sessions })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, auth.sessionId));
  if (!row) throw new DomainError('UNAUTHENTICATED');
  return row;
}

export async function currentUserAndSession(db: Database, auth: AuthSession) {
  const row = await callerRows(db, auth);
  return {
    user: toPublicUser(row.user),
    // Anything besides the password (SPEC §9): `amr` holds more than `pwd`.
    session: { ...toSessionView(row.session, auth.sessionId), mfa: row.session.amr.length > 1 },
  };
}

/** Revokes one of the caller's own sessions; another user's id is indistinguishable from a missing one. */
export async function revokeSession(
  db: Database,
  userId: string,
  sessionId: string,
  reason = 'revoked',
): Promise<{ sessionId: string }> {
  const [row] = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  if (!row) throw new DomainError('SESSION_NOT_FOUND');
  return { sessionId: row.id };
}

/** Revokes every live session of a user, optionally sparing one (the caller's). */
export async function revokeAllSessions(
  db: Database,
  userId: string,
  options: { except?: string; reason: string },
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: options.reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.except ? ne(sessions.id, options.except) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((row) => row.id);
}

/**
 * The caller ends one of its own sessions (`signed-out` for the current one): recorded in the
 * security log in the same transaction, then its live subscriptions end on every instance.
 */
export async function endOwnSession(
  deps: ServiceDeps,
  auth: AuthSession,
  sessionId: string,
  reason: 'revoked' | 'signed-out',
): Promise<{ sessionId: string }> {
  const result = await deps.db.transaction(async (tx) => {
    const ended = await revokeSession(tx, auth.userId, sessionId, reason);
    await recordEvent(tx, {
      userId: auth.userId,
      type: 'session-revoked',
      origin: deps.request,
      deviceId: auth.deviceId,
      sessionId,
      detail: { reason },
    });
    return ended;
  });
  await deps.sessionsRevoked([result.sessionId]);
  return result;
}

/** The caller ends all its sessions (or all but the current one), recorded and ended everywhere. */
export async function endOwnSessions(
  deps: ServiceDeps,
  auth: AuthSession,
  includeCurrent: boolean,
): Promise<string[]> {
  const revoked = await deps.db.transaction(async (tx) => {
    const ids = await revokeAllSessions(tx, auth.userId, {
      reason: 'revoked',
      ...(includeCurrent ? {} : { except: auth.sessionId }),
    });
    if (ids.length > 0) {
      await recordEvent(tx, {
        userId: auth.userId,
        type: 'session-revoked',
        origin: deps.request,
        deviceId: auth.deviceId,
        sessionId: auth.sessionId,
        detail: { reason: 'revoked-all', sessions: ids.length, includeCurrent },
      });
    }
    return ids;
  });
  await deps.sessionsRevoked(revoked);
  return revoked;
}
