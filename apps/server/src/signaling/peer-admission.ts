import { count, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { instances, peers, users } from '../db/schema.js';
import { DomainError } from '../errors.js';

/** Open peers one user may hold across every instance (SPEC §6.1). */
export const MAX_PEERS_PER_USER = 20;
/**
 * A slot frees when one of the user's subscriptions ends: at once when it closes, within the
 * keep-alive's ping and pong wait when its network was lost.
 */
const RETRY_AFTER_SECONDS = 5;

/**
 * Records a new open peer in `peers` when its session and its user are both below their limits
 * (SPEC §6.1), counting the peers of every live instance; beyond, TOO_MANY_PEERS.
 *
 * The user's row is the lock: concurrent opens for one user, from one WebSocket batch, several
 * sockets or several instances, count and insert one after another, so none slips past a limit.
 * `no key update` is enough to order them and, unlike `update`, does not hold up inserts that
 * only reference the user (sessions, transfers).
 */
export async function admitPeer(
  db: Database,
  peer: typeof peers.$inferInsert,
  maxPerSession: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, peer.userId))
      .for('no key update');
    if (!user) throw new DomainError('UNAUTHENTICATED');
    const [open] = await tx
      .select({
        ofUser: count(),
        ofSession:
          sql<number>`count(*) filter (where ${peers.sessionId} = ${peer.sessionId})`.mapWith(
            Number,
          ),
      })
      .from(peers)
      .innerJoin(instances, eq(instances.id, peers.instanceId))
      .where(eq(peers.userId, peer.userId));
    if (open && (open.ofSession >= maxPerSession || open.ofUser >= MAX_PEERS_PER_USER)) {
      throw new DomainError('TOO_MANY_PEERS', { retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    await tx.insert(peers).values(peer);
  });
}
