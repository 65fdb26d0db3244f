import { and, eq, inArray, lt, notExists, sql } from 'drizzle-orm';
import type { Bus } from '../bus/types.js';
import type { Database } from '../db/client.js';
import { instances, peers, sessions, users } from '../db/schema.js';
import type { Env } from '../env.js';
import { isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { liveSession } from '../services/sessions.js';
import { announceOffline, type SignalingHub } from './hub.js';

const HEARTBEAT_MS = 2000;
/** An instance silent this long is dead: its peers are reported offline (well within 15 s). */
const DEAD_AFTER_SECONDS = 6;
/** Sessions that expire (rather than being revoked) end their subscriptions within this. */
const SESSION_CHECK_MS = 30_000;

/**
 * Keeps this instance's heartbeat, reaps peers of instances that stopped beating, and re-checks
 * local peers' sessions (expiry, and revocations missed while the bus was reconnecting).
 */
export async function startInstance(opts: {
  db: Database;
  env: Env;
  bus: Bus;
  hub: SignalingHub;
  logger: Logger;
  instanceId: string;
}) {
  const { db, bus, hub, logger, instanceId } = opts;
  await db.insert(instances).values({ id: instanceId });

  const beat = async () => {
    const [row] = await db
      .update(instances)
      .set({ lastSeenAt: sql`now()` })
      .where(eq(instances.id, instanceId))
      .returning({ id: instances.id });
    if (!row) {
      // We were presumed dead (e.g. a long pause): come back with the peers we still host.
      logger.warn('instance was reaped while alive; re-registering its peers');
      await db.insert(instances).values({ id: instanceId }).onConflictDoNothing();
      const local = [...hub.local.values()];
      if (local.length > 0) {
        await db
          .insert(peers)
          .values(
            local.map((p) => ({ id: p.id, userId: p.userId, sessionId: p.sessionId, instanceId })),
          )
          .onConflictDoNothing();
      }
    }
    await db
      .delete(instances)
      .where(lt(instances.lastSeenAt, sql`now() - make_interval(secs => ${DEAD_AFTER_SECONDS})`));
    const orphans = await db
      .delete(peers)
      .where(
        notExists(
          db.select({ id: instances.id }).from(instances).where(eq(instances.id, peers.instanceId)),
        ),
      )
      .returning({ peerId: peers.id, userId: peers.userId });
    if (orphans.length > 0) {
      const names = await db
        .select({ id: users.id, email: users.email, name: users.name })
        .from(users)
        .where(inArray(users.id, [...new Set(orphans.map((o) => o.userId))]));
      const byId = new Map(names.map((u) => [u.id, u]));
      const gone = orphans.flatMap((o) => {
        const user = byId.get(o.userId);
        return user ? [{ peerId: o.peerId, email: user.email, name: user.name }] : [];
      });
      logger.info({ peers: gone.length }, 'peers of a dead instance reported offline');
      await announceOffline(db, bus, gone);
    }
  };

  const checkSessions = async () => {
    const local = [...hub.local.values()];
    if (local.length === 0) return;
    const ids = [...new Set(local.map((p) => p.sessionId))];
    const live = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(inArray(sessions.id, ids), liveSession(opts.env)));
    const alive = new Set(live.map((row) => row.id));
    const ended = ids.filter((id) => !alive.has(id));
    hub.markRevoked(ended);
    for (const peer of local) if (!alive.has(peer.sessionId)) peer.end('revoked');
    // A device with an open subscription is using its session: keep it from idling out.
    if (alive.size > 0) {
      await db
        .update(sessions)
        .set({ lastUsedAt: sql`now()` })
        .where(inArray(sessions.id, [...alive]));
    }
  };

  const guard = (task: () => Promise<void>, what: string) => () => {
    task().catch((error: unknown) => {
      if (!isDatabaseUnavailable(error)) logger.warn({ err: error }, `${what} failed`);
    });
  };
  const heartbeat = setInterval(guard(beat, 'heartbeat'), HEARTBEAT_MS);
  const sessionCheck = setInterval(guard(checkSessions, 'session check'), SESSION_CHECK_MS);
  heartbeat.unref();
  sessionCheck.unref();
  bus.onReconnect(guard(checkSessions, 'session check'));

  return {
    async stop() {
      clearInterval(heartbeat);
      clearInterval(sessionCheck);
      await hub.closeAll();
      await db.delete(instances).where(eq(instances.id, instanceId));
    },
  };
}
