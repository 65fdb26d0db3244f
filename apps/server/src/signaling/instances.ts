import { and, eq, inArray, lt, notExists, sql } from 'drizzle-orm';
import type { Bus } from '../bus/types.js';
import type { Database } from '../db/client.js';
import { instances, peers, sessions, users } from '../db/schema.js';
import type { Env } from '../env.js';
import { isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { liveSession } from '../services/sessions.js';
import type { SignalingHub } from './hub.js';
import { announceOffline } from './offline.js';

const HEARTBEAT_MS = 2000;
/** An instance silent this long is dead: its peers are reported offline (well within 15 s). */
const DEAD_AFTER_SECONDS = 6;
/** Sessions re-checked in one query: well within PostgreSQL's limit on bind parameters. */
const SESSIONS_PER_QUERY = 1000;

/**
 * Keeps this instance's heartbeat, reaps peers of instances that stopped beating, and re-checks
 * the sessions its sockets rely on, open subscriptions' and proven ones alike: every
 * SESSION_RECHECK_INTERVAL_MS (30 s at most) and whenever the bus reconnects, so that expiry
 * (absolute or idle) and revocations whose bus notification was lost end them too (SPEC §6.1).
 */
export async function startInstance(opts: {
  db: Database;
  env: Env;
  bus: Bus;
  hub: SignalingHub;
  logger: Logger;
  instanceId: string;
}) {
  const { db, env, bus, hub, logger, instanceId } = opts;
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
    const inUse = hub.sessionsInUse();
    if (inUse.all.length === 0) return;
    const alive = new Set<string>();
    for (let i = 0; i < inUse.all.length; i += SESSIONS_PER_QUERY) {
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(inArray(sessions.id, inUse.all.slice(i, i + SESSIONS_PER_QUERY)), liveSession(env)),
        );
      for (const row of rows) alive.add(row.id);
    }
    hub.sessionsEnded(inUse.all.filter((id) => !alive.has(id)));
    // Sessions in use are kept from idling out; one that ended meanwhile is not brought back.
    const used = inUse.used.filter((id) => alive.has(id));
    for (let i = 0; i < used.length; i += SESSIONS_PER_QUERY) {
      await db
        .update(sessions)
        .set({ lastUsedAt: sql`now()` })
        .where(and(inArray(sessions.id, used.slice(i, i + SESSIONS_PER_QUERY)), liveSession(env)));
    }
  };

  // One check at a time; a request during a check (a bus reconnect) runs another one after it,
  // since the running one may have read the database before the missed revocations.
  let checking: Promise<void> | undefined;
  let checkAgain = false;
  const recheckSessions = (): Promise<void> => {
    if (checking) {
      checkAgain = true;
      return checking;
    }
    checking = (async () => {
      try {
        do {
          checkAgain = false;
          await checkSessions();
        } while (checkAgain);
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };

  const guard = (task: () => Promise<void>, what: string) => () => {
    task().catch((error: unknown) => {
      if (!isDatabaseUnavailable(error)) logger.warn({ err: error }, `${what} failed`);
    });
  };
  const heartbeat = setInterval(guard(beat, 'heartbeat'), HEARTBEAT_MS);
  const sessionCheck = setInterval(
    guard(recheckSessions, 'session check'),
    env.SESSION_RECHECK_INTERVAL_MS,
  );
  heartbeat.unref();
  sessionCheck.unref();
  bus.onReconnect(guard(recheckSessions, 'session check'));

  return {
    async stop() {
      clearInterval(heartbeat);
      clearInterval(sessionCheck);
      await hub.closeAll();
      await db.delete(instances).where(eq(instances.id, instanceId));
    },
  };
}
