import { eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Database } from '../db/client.js';
import { busPayloads } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Bus, BusMessage } from './types.js';

const CHANNEL = 'cryptweb_bus';
/** NOTIFY refuses payloads of 8000 bytes or more; stay clear of it. */
const MAX_INLINE_BYTES = 7000;

type Envelope = { from: string; message?: BusMessage; ref?: number };

/**
 * Instances talk over PostgreSQL LISTEN/NOTIFY on one dedicated listening connection each
 * (postgres.js re-listens after a reconnect). Large messages travel through `bus_payloads`.
 * Messages are handed to local handlers directly; an instance ignores its own notifications.
 */
export async function createPostgresBus(opts: {
  client: postgres.Sql;
  db: Database;
  instanceId: string;
  logger: Logger;
}): Promise<Bus> {
  const { client, db, instanceId, logger } = opts;
  const handlers: ((message: BusMessage) => void)[] = [];
  const reconnectHandlers: (() => void)[] = [];
  let listens = 0;

  const dispatch = (message: BusMessage) => {
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (error) {
        logger.error({ err: error }, 'bus handler failed');
      }
    }
  };

  const onNotify = async (raw: string) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === instanceId) return;
    if (envelope.message) {
      dispatch(envelope.message);
      return;
    }
    if (envelope.ref !== undefined) {
      const [row] = await db
        .select({ payload: busPayloads.payload })
        .from(busPayloads)
        .where(eq(busPayloads.id, envelope.ref));
      if (row) dispatch(row.payload as BusMessage);
    }
  };

  const listening = await client.listen(
    CHANNEL,
    (raw) => {
      onNotify(raw).catch((error: unknown) => logger.warn({ err: error }, 'bus message lost'));
    },
    () => {
      listens += 1;
      if (listens > 1) {
        logger.info('bus listening again after a reconnect');
        for (const handler of reconnectHandlers) handler();
      }
    },
  );

  return {
    async publish(message) {
      dispatch(message);
      const inline = JSON.stringify({ from: instanceId, message } satisfies Envelope);
      if (Buffer.byteLength(inline) <= MAX_INLINE_BYTES) {
        await db.execute(sql`select pg_notify(${CHANNEL}, ${inline})`);
        return;
      }
      const [row] = await db
        .insert(busPayloads)
        .values({ payload: message })
        .returning({ id: busPayloads.id });
      if (!row) return;
      await db.execute(
        sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ from: instanceId, ref: row.id })})`,
      );
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    onReconnect(handler) {
      reconnectHandlers.push(handler);
    },
    async close() {
      handlers.length = 0;
      await listening.unlisten().catch(() => {});
    },
  };
}
