import {
  and,
  count,
  countDistinct,
  desc,
  eq,
  gt,
  ilike,
  isNotNull,
  isNull,
  or,
  sql,
} from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { instances, peers, sessions, transfers, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { UserRole } from '../schemas.js';
import { keepAnAdmin } from './admin-roles.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { ServiceDeps } from './deps.js';
import { listEvents, recordEvent, type SecurityEventView } from './security-log.js';
import {
  type AuthSession,
  liveSession,
  revokeAllSessions,
  type SessionView,
  toSessionView,
} from './sessions.js';
import { type PublicUser, toPublicUser, type UserRow } from './users.js';

export interface AdminUserView extends PublicUser {
  role: UserRole;
  disabledAt: Date | null;
  disabledReason: string | null;
}

function toAdminUserView(row: UserRow): AdminUserView {
  return {
    ...toPublicUser(row),
    role: row.role,
    disabledAt: row.disabledAt,
    disabledReason: row.disabledReason,
  };
}

/** A deleted account is a tombstone with nothing left to administer: it is no user any more. */
const existing = isNull(users.deletedAt);

/** `%` and `_` in a search are the characters themselves, not wildcards. */
const likePattern = (query: string) => `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Accounts, newest first, optionally those whose email or name contains `query`. */
export async function listUsers(
  db: Database,
  input: { query?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const pattern = input.query ? likePattern(input.query) : undefined;
  const rows = await db
    .select()
    .from(users)
    .where(
      and(
        existing,
        pattern ? or(ilike(users.email, pattern), ilike(users.name, pattern)) : undefined,
        after
          ? sql`(${users.createdAt}, ${users.id}) < (select u.created_at, u.id from ${users} u where u.id = ${after})`
          : undefined,
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit).map(toAdminUserView);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.id) : null,
  };
}

async function findExisting(db: Database, userId: string, lock = false): Promise<UserRow> {
  const query = db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), existing));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new DomainError('USER_NOT_FOUND');
  return row;
}

/** One account with its live sessions and its 20 latest security events. */
export async function getUser(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  userId: string,
): Promise<{ user: AdminUserView; sessions: SessionView[]; recentEvents: SecurityEventView[] }> {
  const row = await findExisting(deps.db, userId);
  const live = await deps.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), liveSession(deps.env)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
  const events = await listEvents(deps.db, { userId, limit: 20 });
  return {
    user: toAdminUserView(row),
    sessions: live.map((session) => toSessionView(session, undefined)),
    recentEvents: events.items,
  };
}

/**
 * SPEC §10: every admin action is an `admin-action` event in the actor's log (with where it came
 * from) and in the target's (who did it); once when an admin acts on their own account.
 */
async function recordAdminAction(
  tx: Database,
  deps: Pick<ServiceDeps, 'request'>,
  actor: AuthSession,
  targetUserId: string,
  detail: Record<string, unknown> & { action: string },
) {
  await recordEvent(tx, {
    userId: actor.userId,
    type: 'admin-action',
    origin: deps.request,
    deviceId: actor.deviceId,
    sessionId: actor.sessionId,
    detail: { ...detail, targetUserId },
  });
  if (targetUserId !== actor.userId) {
    await recordEvent(tx, {
      userId: targetUserId,
      type: 'admin-action',
      detail: { ...detail, actorUserId: actor.userId },
    });
  }
}

/** Makes an account an admin or a user; the last active admin cannot be demoted. */
export async function setRole(
  deps: ServiceDeps,
  actor: AuthSession,
  input: { userId: string; role: UserRole },
): Promise<{ user: AdminUserView }> {
  const user = await deps.db.transaction(async (tx) => {
    if (input.role === 'user') await keepAnAdmin(tx, input.userId);
    const row = await findExisting(tx, input.userId, true);
    if (row.role === input.role) return row;
    const [updated] = await tx
      .update(users)
      .set({ role: input.role })
      .where(eq(users.id, row.id))
      .returning();
    if (!updated) throw new DomainError('USER_NOT_FOUND');
    await recordAdminAction(tx, deps, actor, row.id, {
      action: 'set-role',
      role: input.role,
      previousRole: row.role,
    });
    return updated;
  });
  return { user: toAdminUserView(user) };
}

/**
 * Disables an account: its password no longer signs in (ACCOUNT_DISABLED) and every session ends,
 * its sockets on every instance within a second. The row lock makes a sign-in that is finishing
 * meanwhile either land before (and be revoked here) or see the account disabled.
 */
export async function disableUser(
  deps: ServiceDeps,
  actor: AuthSession,
  input: { userId: string; reason: string },
): Promise<{ user: AdminUserView }> {
  const { user, revoked } = await deps.db.transaction(async (tx) => {
    await keepAnAdmin(tx, input.userId);
    const row = await findExisting(tx, input.userId, true);
    const [updated] = await tx
      .update(users)
      .set({
        disabledAt: sql`coalesce(${users.disabledAt}, now())`,
        disabledReason: input.reason,
      })
      .where(eq(users.id, row.id))
      .returning();
    if (!updated) throw new DomainError('USER_NOT_FOUND');
    const ids = await revokeAllSessions(tx, row.id, { reason: 'account-disabled' });
    await recordEvent(tx, {
      userId: row.id,
      type: 'account-disabled',
      detail: { reason: input.reason, sessionsRevoked: ids.length, actorUserId: actor.userId },
    });
    await recordAdminAction(tx, deps, actor, row.id, {
      action: 'disable',
      reason: input.reason,
      sessionsRevoked: ids.length,
    });
    return { user: updated, revoked: ids };
  });
  await deps.sessionsRevoked(revoked);
  return { user: toAdminUserView(user) };
}

export async function enableUser(
  deps: ServiceDeps,
  actor: AuthSession,
  userId: string,
): Promise<{ user: AdminUserView }> {
  const user = await deps.db.transaction(async (tx) => {
    const row = await findExisting(tx, userId, true);
    if (!row.disabledAt) return row;
    const [updated] = await tx
      .update(users)
      .set({ disabledAt: null, disabledReason: null })
      .where(eq(users.id, row.id))
      .returning();
    if (!updated) throw new DomainError('USER_NOT_FOUND');
    await recordAdminAction(tx, deps, actor, row.id, { action: 'enable' });
    return updated;
  });
  return { user: toAdminUserView(user) };
}

/** Ends anyone's live session, everywhere; a missing or already ended one is SESSION_NOT_FOUND. */
export async function revokeAnySession(
  deps: ServiceDeps,
  actor: AuthSession,
  sessionId: string,
): Promise<{ sessionId: string }> {
  const ended = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: 'revoked-by-admin' })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id, userId: sessions.userId, deviceId: sessions.deviceId });
    if (!row) throw new DomainError('SESSION_NOT_FOUND');
    await recordEvent(tx, {
      userId: row.userId,
      type: 'session-revoked',
      deviceId: row.deviceId,
      sessionId: row.id,
      detail: { reason: 'revoked-by-admin', actorUserId: actor.userId },
    });
    await recordAdminAction(tx, deps, actor, row.userId, {
      action: 'revoke-session',
      sessionId: row.id,
    });
    return row.id;
  });
  await deps.sessionsRevoked([ended]);
  return { sessionId: ended };
}

/** The numbers of the admin dashboard; deleted accounts are no users. */
export async function adminStats(deps: Pick<ServiceDeps, 'db' | 'env'>) {
  const { db } = deps;
  const [people] = await db
    .select({
      users: count(),
      verifiedUsers: sql<number>`(count(*) filter (where ${isNotNull(users.emailVerifiedAt)}))::int`,
    })
    .from(users)
    .where(existing);
  const [active] = await db.select({ n: count() }).from(sessions).where(liveSession(deps.env));
  // A peer counts while its instance is alive (a dead instance's peers are about to be reaped).
  const [online] = await db
    .select({ n: countDistinct(peers.id) })
    .from(peers)
    .innerJoin(instances, eq(instances.id, peers.instanceId));
  const [recent] = await db
    .select({ n: count() })
    .from(transfers)
    .where(gt(transfers.completedAt, sql`now() - interval '24 hours'`));
  return {
    users: people?.users ?? 0,
    verifiedUsers: Number(people?.verifiedUsers ?? 0),
    activeSessions: active?.n ?? 0,
    onlinePeers: online?.n ?? 0,
    transfersLast24h: recent?.n ?? 0,
  };
}
