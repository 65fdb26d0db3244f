import { and, count, desc, eq, gt, sql } from 'drizzle-orm';
import { networkOf } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { type SecurityEventType, type SecurityFlag, securityEvents } from '../db/schema.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { describeDevice } from './user-agent.js';

export type { SecurityEventType, SecurityFlag };

/** Where an event came from: the request's address and browser. */
export interface EventOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface NewSecurityEvent {
  userId: string;
  type: SecurityEventType;
  origin?: EventOrigin | undefined;
  deviceId?: string | null | undefined;
  sessionId?: string | null | undefined;
  flags?: SecurityFlag[];
  /** What else a reader needs (a passkey's name, a revocation's reason); never a secret. */
  detail?: Record<string, unknown>;
}

/** The who and where of an event the signed-in caller causes. */
export function eventOf(
  deps: { request?: EventOrigin | undefined },
  auth: { userId: string; deviceId: string; sessionId: string },
) {
  return {
    userId: auth.userId,
    origin: deps.request,
    deviceId: auth.deviceId,
    sessionId: auth.sessionId,
  };
}

/** SPEC §10: ≥ 10 failed sign-ins in 15 minutes flag the account's events. */
const MANY_FAILURES = 10;
const FAILURE_WINDOW = sql`interval '15 minutes'`;

/** Records one event; run it in the transaction of the action it records. */
export async function recordEvent(db: Database, event: NewSecurityEvent): Promise<void> {
  const device = describeDevice(event.origin?.userAgent);
  await db.insert(securityEvents).values({
    userId: event.userId,
    type: event.type,
    // The moment of the write, not the transaction's start: events of one action keep their order.
    at: sql`clock_timestamp()`,
    ip: event.origin?.ip ?? null,
    network: networkOf(event.origin?.ip) ?? null,
    userAgent: event.origin?.userAgent?.slice(0, 512) ?? null,
    browser: device.browser ?? null,
    os: device.os ?? null,
    deviceId: event.deviceId ?? null,
    sessionId: event.sessionId ?? null,
    flags: event.flags ?? [],
    detail: event.detail ?? {},
  });
}

/** Failed sign-ins of the account in the last 15 minutes. */
async function recentFailures(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(securityEvents)
    .where(
      and(
        eq(securityEvents.userId, userId),
        eq(securityEvents.type, 'sign-in-failed'),
        gt(securityEvents.at, sql`now() - ${FAILURE_WINDOW}`),
      ),
    );
  return row?.n ?? 0;
}

/** Records a wrong password for an existing account, flagged when failures pile up. */
export async function recordFailedSignIn(
  db: Database,
  userId: string,
  origin: EventOrigin,
  deviceId: string | undefined,
) {
  const failures = (await recentFailures(db, userId)) + 1;
  await recordEvent(db, {
    userId,
    type: 'sign-in-failed',
    origin,
    deviceId,
    flags: failures >= MANY_FAILURES ? ['many-failures'] : [],
  });
}

/**
 * The flags of a successful sign-in: a device the account never used, a network none of its
 * sign-ins came from, failures piling up before it. An account's very first sign-in has nothing
 * to compare with and is flagged for nothing.
 */
export async function signInFlags(
  db: Database,
  userId: string,
  opts: { ip: string | undefined; newDevice: boolean; firstSignIn: boolean },
): Promise<SecurityFlag[]> {
  if (opts.firstSignIn) return [];
  const flags: SecurityFlag[] = [];
  if (opts.newDevice) flags.push('new-device');
  const network = networkOf(opts.ip);
  if (network) {
    const [seen] = await db
      .select({ one: sql<number>`1` })
      .from(securityEvents)
      .where(
        and(
          eq(securityEvents.userId, userId),
          eq(securityEvents.network, network),
          eq(securityEvents.type, 'sign-in'),
        ),
      )
      .limit(1);
    if (!seen) flags.push('new-network');
  }
  if ((await recentFailures(db, userId)) >= MANY_FAILURES) flags.push('many-failures');
  return flags;
}

/** Whether the account has ever signed in (as far as the log remembers). */
export async function hasSignedInBefore(db: Database, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(securityEvents)
    .where(and(eq(securityEvents.userId, userId), eq(securityEvents.type, 'sign-in')))
    .limit(1);
  return Boolean(row);
}

type EventRow = typeof securityEvents.$inferSelect;

export interface SecurityEventView {
  id: string;
  type: SecurityEventType;
  at: Date;
  ip: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
  deviceId: string | null;
  sessionId: string | null;
  flags: SecurityFlag[];
  detail: Record<string, unknown>;
}

export function toEventView(row: EventRow): SecurityEventView {
  return {
    id: row.id,
    type: row.type,
    at: row.at,
    ip: row.ip,
    userAgent: row.userAgent,
    browser: row.browser,
    os: row.os,
    deviceId: row.deviceId,
    sessionId: row.sessionId,
    flags: row.flags,
    detail: row.detail,
  };
}

/**
 * A page of events, newest first. `userId` undefined lists every account's (admins only);
 * `flagged` keeps events with at least one flag.
 */
export async function listEvents(
  db: Database,
  filter: {
    userId?: string | undefined;
    type?: SecurityEventType | undefined;
    flagged?: boolean | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<{ items: SecurityEventView[]; nextCursor: string | null }> {
  const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
  const rows = await db
    .select()
    .from(securityEvents)
    .where(
      and(
        filter.userId ? eq(securityEvents.userId, filter.userId) : undefined,
        filter.type ? eq(securityEvents.type, filter.type) : undefined,
        filter.flagged ? sql`cardinality(${securityEvents.flags}) > 0` : undefined,
        after
          ? sql`(${securityEvents.at}, ${securityEvents.id}) < (select e.at, e.id from ${securityEvents} e where e.id = ${after})`
          : undefined,
      ),
    )
    .orderBy(desc(securityEvents.at), desc(securityEvents.id))
    .limit(filter.limit + 1);
  const items = rows.slice(0, filter.limit).map(toEventView);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > filter.limit && last ? encodeCursor(last.id) : null,
  };
}
