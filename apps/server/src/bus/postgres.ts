import { eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Database } from '../db/client.js';
import { busPayloads } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Bus, BusMessage } from './types.js';

const CHANNEL = 'cryptweb_bus';
/** NOTIFY refuses payloads of 8000 bytes or more; stay clear of it. */
const MAX_INLINE_BYTES = 7000;

/** One notification: a batch of messages inline, or a reference to one large message. */
type Envelope = { from: string; messages?: BusMessage[]; ref?: number };

/** Messages published within one turn, sent as one notification. */
interface Batch {
  /** A message too large to go inline: it travels through `bus_payloads`. */
  large?: BusMessage;
  parts: string[];
  bytes: number;
  done: Promise<void>;
  settle(error?: unknown): void;
}

/**
 * Instances talk over PostgreSQL LISTEN/NOTIFY on one dedicated listening connection each
 * (postgres.js re-listens after a reconnect). Large messages travel through `bus_payloads`.
 * Messages are handed to local handlers directly; an instance ignores its own notifications.
 * Messages published within one turn of the event loop share a notification (each NOTIFY is a
 * transaction serialised on the server's notification queue), and notifications leave one after
 * another, so other instances receive an instance's messages in the order they were published.
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

  let receiving = Promise.resolve();
  const onNotify = async (raw: string) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === instanceId) return;
    if (envelope.messages) {
      for (const message of envelope.messages) dispatch(message);
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
      // In arrival order, even when a large message must first be read from its table.
      receiving = receiving
        .then(() => onNotify(raw))
        .catch((error: unknown) => logger.warn({ err: error }, 'bus message lost'));
    },
    () => {
      listens += 1;
      if (listens > 1) {
        logger.info('bus listening again after a reconnect');
        for (const handler of reconnectHandlers) handler();
      }
    },
  );

  const head = `{"from":${JSON.stringify(instanceId)},"messages":[`;
  let open: Batch | undefined;
  let sending = Promise.resolve();

  const newBatch = (): Batch => {
    let settle: (error?: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    return { parts: [], bytes: head.length + 2, done, settle };
  };

  const send = async (batch: Batch) => {
    if (!batch.large) {
      const payload = `${head}${batch.parts.join(',')}]}`;
      await db.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);
      return;
    }
    const [row] = await db
      .insert(busPayloads)
      .values({ payload: batch.large })
      .returning({ id: busPayloads.id });
    if (!row) return;
    const envelope: Envelope = { from: instanceId, ref: row.id };
    await db.execute(sql`select pg_notify(${CHANNEL}, ${JSON.stringify(envelope)})`);
  };

  /**
   * Queues a batch behind those before it. A batch takes messages until its turn comes (at the
   * end of the current turn at the earliest), so the busier the bus, the fuller its batches.
   */
  const schedule = (batch: Batch) => {
    sending = sending
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        if (open === batch) open = undefined;
        try {
          await send(batch);
          batch.settle();
        } catch (error) {
          batch.settle(error);
        }
      });
  };

  /** Adds a message to the open batch; resolves once its notification is sent. */
  const enqueue = (part: string, bytes: number): Promise<void> => {
    if (!open || open.bytes + bytes + 1 > MAX_INLINE_BYTES) {
      open = newBatch();
      schedule(open);
    }
    open.parts.push(part);
    open.bytes += bytes + 1;
    return open.done;
  };

  return {
    async publish(message) {
      dispatch(message);
      const part = JSON.stringify(message);
      const bytes = Buffer.byteLength(part);
      if (head.length + bytes + 2 <= MAX_INLINE_BYTES) return enqueue(part, bytes);
      // In line with the others, so that what was published after it still arrives after it.
      const batch = { ...newBatch(), large: message };
      open = undefined;
      schedule(batch);
      return batch.done;
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
