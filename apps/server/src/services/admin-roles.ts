import { and, asc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { users } from '../db/schema.js';
import type { Env } from '../env.js';
import { DomainError } from '../errors.js';
import { type EventOrigin, recordEvent } from './security-log.js';

/** An admin who can act: neither disabled nor deleted. */
const activeAdmin = and(eq(users.role, 'admin'), isNull(users.disabledAt), isNull(users.deletedAt));

/**
 * The caller's role, read from the database on every admin call (SPEC §10): a token says who the
 * caller is, never what they may do, so a demotion takes effect on the very next call.
 */
export async function requireAdmin(db: Database, userId: string): Promise<void> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), activeAdmin));
  if (!row) throw new DomainError('ADMIN_REQUIRED');
}

/**
 * Before anything that can take an admin away (demotion, disabling, deletion): locks every active
 * admin's row and refuses when `userId` is the only one left. Two admins demoting each other at
 * once both lock the same rows in the same order, so the second waits for the first to commit
 * and then no longer sees the demoted row (PostgreSQL re-checks a locked row's newest version
 * against the WHERE clause): it answers LAST_ADMIN instead of leaving nobody.
 */
export async function keepAnAdmin(tx: Database, userId: string): Promise<void> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(activeAdmin)
    .orderBy(asc(users.id))
    .for('update');
  if (admins.length <= 1 && admins.some((admin) => admin.id === userId)) {
    throw new DomainError('LAST_ADMIN');
  }
}

/**
 * ADMIN_EMAILS (SPEC §10): those accounts become admins once their address is verified, at
 * startup and whenever one is verified (sign-up or email change). Only `user` rows change, so it
 * is idempotent across instances starting together; the role then lives in the database.
 */
export async function promoteListedAdmins(
  db: Database,
  env: Pick<Env, 'ADMIN_EMAILS'>,
  options: { userId?: string; origin?: EventOrigin | undefined } = {},
): Promise<string[]> {
  if (env.ADMIN_EMAILS.length === 0) return [];
  const promoted = await db
    .update(users)
    .set({ role: 'admin' })
    .where(
      and(
        inArray(users.email, env.ADMIN_EMAILS),
        eq(users.role, 'user'),
        isNotNull(users.emailVerifiedAt),
        isNull(users.deletedAt),
        options.userId ? eq(users.id, options.userId) : undefined,
      ),
    )
    .returning({ id: users.id });
  for (const { id } of promoted) {
    await recordEvent(db, {
      userId: id,
      type: 'admin-action',
      origin: options.origin,
      detail: { action: 'set-role', role: 'admin', via: 'ADMIN_EMAILS' },
    });
  }
  return promoted.map((row) => row.id);
}

/** Startup: promotes the listed accounts in one transaction (events and roles together). */
export function bootstrapAdmins(db: Database, env: Pick<Env, 'ADMIN_EMAILS'>) {
  return db.transaction((tx) => promoteListedAdmins(tx, env));
}
