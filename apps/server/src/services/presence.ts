import { and, eq, inArray, max, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { instances, peers, transfers, users } from '../db/schema.js';

export interface Contact {
  email: string;
  name: string;
  online: boolean;
  lastTransferAt: Date;
}

/**
 * Who is online among the people the caller has exchanged files with. Scoped to the caller's own
 * transfer history, so nobody can probe whether an arbitrary email is online.
 */
export async function contactsPresence(
  db: Database,
  userId: string,
  limit = 50,
): Promise<Contact[]> {
  const other = sql<string>`case when ${transfers.senderId} = ${userId} then ${transfers.receiverId} else ${transfers.senderId} end`;
  const contacts = await db
    .select({ userId: other, lastTransferAt: max(transfers.completedAt) })
    .from(transfers)
    .where(or(eq(transfers.senderId, userId), eq(transfers.receiverId, userId)))
    // By position: the CASE carries a bound parameter, so repeating it would not match.
    .groupBy(sql`1`)
    .orderBy(sql`2 desc`)
    .limit(limit);
  const ids = contacts.map((c) => c.userId).filter((id) => id !== userId);
  if (ids.length === 0) return [];
  const people = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(inArray(users.id, ids));
  const online = await db
    .selectDistinct({ userId: peers.userId })
    .from(peers)
    .innerJoin(instances, eq(instances.id, peers.instanceId))
    .where(and(inArray(peers.userId, ids)));
  const onlineIds = new Set(online.map((row) => row.userId));
  const byId = new Map(people.map((p) => [p.id, p]));
  return contacts.flatMap((contact) => {
    const person = byId.get(contact.userId);
    if (!person || !contact.lastTransferAt) return [];
    return [
      {
        email: person.email,
        name: person.name,
        online: onlineIds.has(person.id),
        lastTransferAt: contact.lastTransferAt,
      },
    ];
  });
}
