import { and, desc, eq, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';
import { transfers, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { CompleteTransferInput, ListTransfersInput } from '../schemas.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { findUserByEmail } from './users.js';

export interface TransferView {
  id: string;
  sender: { id: string; email: string; name: string };
  receiver: { id: string; email: string; name: string };
  fileName: string;
  fileSize: number;
  fileType: string;
  timeElapsed: number;
  transferType: 'WebRTC' | 'Relay';
  completedAt: Date;
}

const sender = alias(users, 'sender');
const receiver = alias(users, 'receiver');

const view = {
  id: transfers.id,
  fileName: transfers.fileName,
  fileSize: transfers.fileSize,
  fileType: transfers.fileType,
  timeElapsed: transfers.timeElapsed,
  transferType: transfers.transferType,
  completedAt: transfers.completedAt,
  sender: { id: sender.id, email: sender.email, name: sender.name },
  receiver: { id: receiver.id, email: receiver.email, name: receiver.name },
};

/** Records a finished transfer; the sender is always the caller. */
export async function completeTransfer(
  db: Database,
  userId: string,
  input: CompleteTransferInput,
): Promise<TransferView> {
  const target = await findUserByEmail(db, input.receiverEmail);
  if (!target) throw new DomainError('RECEIVER_NOT_FOUND');
  const [row] = await db
    .insert(transfers)
    .values({
      senderId: userId,
      receiverId: target.id,
      fileName: input.fileName,
      fileSize: input.fileSize,
      fileType: input.fileType,
      timeElapsed: input.timeElapsed,
      transferType: input.transferType,
    })
    .returning({ id: transfers.id });
  if (!row) throw new Error('transfer insert returned nothing');
  const [saved] = await selectTransfers(db).where(eq(transfers.id, row.id));
  if (!saved) throw new Error('transfer vanished');
  return saved;
}

function selectTransfers(db: Database) {
  return db
    .select(view)
    .from(transfers)
    .innerJoin(sender, eq(sender.id, transfers.senderId))
    .innerJoin(receiver, eq(receiver.id, transfers.receiverId));
}

/** The caller's transfers, newest first, one page at a time. */
export async function listTransfers(
  db: Database,
  userId: string,
  input: ListTransfersInput,
): Promise<{ items: TransferView[]; nextCursor: string | null }> {
  const mine =
    input.direction === 'sent'
      ? eq(transfers.senderId, userId)
      : input.direction === 'received'
        ? eq(transfers.receiverId, userId)
        : or(eq(transfers.senderId, userId), eq(transfers.receiverId, userId));
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const afterCursor = after
    ? sql`(${transfers.completedAt}, ${transfers.id}) < (select t.completed_at, t.id from ${transfers} t where t.id = ${after})`
    : undefined;
  const rows = await selectTransfers(db)
    .where(and(mine, afterCursor))
    .orderBy(desc(transfers.completedAt), desc(transfers.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > input.limit && last ? encodeCursor(last.id) : null };
}

/**
 * Counts and bytes sent and received. `sum(bigint)` is a PostgreSQL numeric, exact at any size;
 * it leaves the database as text and becomes the nearest double, which is exact up to 2^53 and a
 * finite number well past anything stored (SPEC §6.1: stats never fail whatever others record).
 */
export async function transferStats(db: Database, userId: string) {
  const sent = eq(transfers.senderId, userId);
  const received = eq(transfers.receiverId, userId);
  const [row] = await db
    .select({
      sentCount: sql<string>`(count(*) filter (where ${sent}))::text`,
      sentBytes: sql<string>`coalesce(sum(${transfers.fileSize}) filter (where ${sent}), 0)::text`,
      receivedCount: sql<string>`(count(*) filter (where ${received}))::text`,
      receivedBytes: sql<string>`coalesce(sum(${transfers.fileSize}) filter (where ${received}), 0)::text`,
    })
    .from(transfers)
    .where(or(sent, received));
  return {
    sent: { count: Number(row?.sentCount ?? 0), bytes: Number(row?.sentBytes ?? 0) },
    received: { count: Number(row?.receivedCount ?? 0), bytes: Number(row?.receivedBytes ?? 0) },
  };
}
