import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { knownDevices, users } from '../db/schema.js';

/** True when `deviceId` has signed in to the account with this email before. */
export async function isKnownDevice(
  db: Database,
  email: string,
  deviceId: string | undefined,
): Promise<boolean> {
  if (!deviceId) return false;
  const [row] = await db
    .select({ known: sql<number>`1` })
    .from(knownDevices)
    .innerJoin(users, eq(users.id, knownDevices.userId))
    .where(and(eq(users.email, email), eq(knownDevices.deviceId, deviceId)));
  return row !== undefined;
}

/**
 * Before a sign-in: whether this device has signed in to the account, and whether any has (an
 * account none has signed in to is at its first sign-in, which tells nobody anything).
 */
export async function deviceHistory(
  db: Database,
  userId: string,
  deviceId: string,
): Promise<{ known: boolean; anyKnown: boolean }> {
  const [row] = await db
    .select({
      known: sql<boolean>`bool_or(${knownDevices.deviceId} = ${deviceId})`,
      any: sql<number>`count(*)::int`,
    })
    .from(knownDevices)
    .where(eq(knownDevices.userId, userId));
  return { known: row?.known === true, anyKnown: (row?.any ?? 0) > 0 };
}

/** Marks a device as known to the account after a successful sign-in (first or again). */
export async function rememberDevice(db: Database, userId: string, deviceId: string) {
  await db
    .insert(knownDevices)
    .values({ userId, deviceId })
    .onConflictDoUpdate({
      target: [knownDevices.userId, knownDevices.deviceId],
      set: { lastSeenAt: sql`now()` },
    });
}

/**
 * Forgets the account's devices (all but `except`): after a password reset or change, a device an
 * intruder signed in with must not keep its exemption from the account's lockout.
 */
export async function forgetDevices(db: Database, userId: string, except?: string) {
  await db
    .delete(knownDevices)
    .where(
      and(
        eq(knownDevices.userId, userId),
        except === undefined ? undefined : ne(knownDevices.deviceId, except),
      ),
    );
}

/** Forgets one device of the account (reported as not the owner's). */
export async function forgetDevice(db: Database, userId: string, deviceId: string) {
  await db
    .delete(knownDevices)
    .where(and(eq(knownDevices.userId, userId), eq(knownDevices.deviceId, deviceId)));
}
