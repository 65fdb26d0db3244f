import { desc, eq } from 'drizzle-orm';
import { sessions } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { UserRole } from '../schemas.js';
import type { ServiceDeps } from './deps.js';
import { limit } from './rate-limit.js';
import { listEvents, type SecurityEventView } from './security-log.js';
import { type AuthSession, type SessionView, toSessionView } from './sessions.js';
import { listTransfers, type TransferView } from './transfers.js';
import { findUserById, type PublicUser, toPublicUser } from './users.js';

type ExportedSession = Omit<SessionView, 'current'> & {
  revokedAt: Date | null;
  revokedReason: string | null;
};

export interface AccountExport {
  exportedAt: Date;
  profile: PublicUser & { role: UserRole };
  sessions: ExportedSession[];
  transfers: TransferView[];
  securityEvents: SecurityEventView[];
}

const PAGE = 100;

/** Every page of a keyset-paginated list, in order. */
async function everyPage<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const result = await page(cursor);
    all.push(...result.items);
    cursor = result.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/**
 * SPEC §10 `account.export`: what the account holds about its owner, as JSON. Built from the same
 * views the API answers with, so no hash, token, code or secret can slip in: sessions without
 * refresh tokens, no password hash, no second-factor secrets.
 */
export async function exportAccount(
  deps: Pick<ServiceDeps, 'db' | 'env'>,
  auth: AuthSession,
): Promise<AccountExport> {
  const { db } = deps;
  await limit(deps, 'accountExport.user', auth.userId);
  const user = await findUserById(db, auth.userId);
  if (!user || user.deletedAt) throw new DomainError('UNAUTHENTICATED');
  const sessionRows = await db
    .select()
    .from(sessions)
    .where(eq(sessions.userId, user.id))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
  const transfers = await everyPage((cursor) =>
    listTransfers(db, user.id, { direction: 'all', limit: PAGE, cursor }),
  );
  const securityEvents = await everyPage((cursor) =>
    listEvents(db, { userId: user.id, limit: PAGE, cursor }),
  );
  return {
    exportedAt: new Date(),
    profile: { ...toPublicUser(user), role: user.role },
    sessions: sessionRows.map((row) => {
      const { current: _current, ...view } = toSessionView(row, undefined);
      return { ...view, revokedAt: row.revokedAt, revokedReason: row.revokedReason };
    }),
    transfers,
    securityEvents,
  };
}
