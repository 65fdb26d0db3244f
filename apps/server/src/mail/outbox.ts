import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { type MailPayload, mailOutbox } from '../db/schema.js';
import { isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MailMessage } from './templates.js';
import type { MailTransport } from './transports.js';

const MAX_ATTEMPTS = 12;
const BATCH = 10;
/** How long a worker owns a claimed row; past it, another instance may take it over. */
const LEASE_SECONDS = 60;

/** Queues a message in the caller's transaction: it is sent only if the transaction commits. */
export async function enqueueMail(db: Database, message: MailMessage): Promise<void> {
  await db.insert(mailOutbox).values({
    kind: message.kind,
    to: message.to,
    subject: message.subject,
    payload: message.payload,
  });
}

/**
 * A provider's error, fit to be stored: without the message's code, token or link, should the
 * provider echo what it was sent. The row outlives the message (SPEC §6.1, secrets at rest).
 */
export function storableError(error: unknown, payload: MailPayload | null): string {
  let message = error instanceof Error ? error.message : String(error);
  const secrets = [payload?.code, payload?.token].filter((s): s is string => Boolean(s));
  for (const secret of secrets.flatMap((s) => [encodeURIComponent(s), s])) {
    message = message.replaceAll(secret, '[redacted]');
  }
  return message.slice(0, 500);
}

/** 2 s, 4 s, 8 s … capped at 10 minutes, with ±20 % jitter so instances do not retry in step. */
export function backoffSeconds(attempt: number): number {
  const base = Math.min(600, 2 ** attempt);
  return Math.round(base * (0.8 + Math.random() * 0.4) * 10) / 10;
}

export interface MailWorker {
  /** Look for due mail now (after an enqueue) instead of at the next poll. */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Sends queued mail. Rows are claimed with `FOR UPDATE SKIP LOCKED` and a lease, so two instances
 * never send one message; the message id doubles as the provider's idempotency key for the rare
 * crash between sending and marking sent.
 */
export function startMailWorker(opts: {
  db: Database;
  transport: MailTransport;
  logger: Logger;
  pollMs?: number;
}): MailWorker {
  const { db, transport, logger } = opts;
  const pollMs = opts.pollMs ?? 1000;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function claim() {
    const due = db
      .select({ id: mailOutbox.id })
      .from(mailOutbox)
      .where(
        and(
          eq(mailOutbox.status, 'pending'),
          lte(mailOutbox.nextAttemptAt, sql`now()`),
          sql`(${mailOutbox.lockedUntil} is null or ${mailOutbox.lockedUntil} < now())`,
        ),
      )
      .orderBy(mailOutbox.nextAttemptAt)
      .limit(BATCH)
      .for('update', { skipLocked: true });
    return db
      .update(mailOutbox)
      .set({
        lockedUntil: sql`now() + make_interval(secs => ${LEASE_SECONDS})`,
        attempts: sql`${mailOutbox.attempts} + 1`,
      })
      .where(inArray(mailOutbox.id, due))
      .returning();
  }

  async function deliver(row: Awaited<ReturnType<typeof claim>>[number]) {
    const log = {
      mailId: row.id,
      kind: row.kind,
      attempt: row.attempts,
      transport: transport.name,
    };
    try {
      if (!row.payload) throw new Error('message body is missing');
      await transport.send({
        id: row.id,
        kind: row.kind as MailMessage['kind'],
        to: row.to,
        subject: row.subject,
        payload: row.payload,
      });
      // The body carries a code or token: it leaves the database once delivered.
      await db
        .update(mailOutbox)
        .set({
          status: 'sent',
          sentAt: sql`now()`,
          payload: null,
          lockedUntil: null,
          lastError: null,
        })
        .where(eq(mailOutbox.id, row.id));
      logger.info(log, 'mail sent');
    } catch (error) {
      const giveUp = row.attempts >= MAX_ATTEMPTS;
      const delay = backoffSeconds(row.attempts);
      await db
        .update(mailOutbox)
        .set({
          status: giveUp ? 'failed' : 'pending',
          lastError: storableError(error, row.payload),
          lockedUntil: null,
          nextAttemptAt: sql`now() + make_interval(secs => ${delay})`,
          ...(giveUp ? { payload: null } : {}),
        })
        .where(eq(mailOutbox.id, row.id));
      logger.warn(
        { ...log, err: error, retryInSeconds: giveUp ? null : delay },
        giveUp ? 'mail failed for good' : 'mail send failed; will retry',
      );
    }
  }

  async function drain() {
    do {
      again = false;
      const rows = await claim();
      await Promise.all(rows.map(deliver));
      if (rows.length === BATCH) again = true;
    } while (again && !stopped);
  }

  function run() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error: unknown) => {
        if (!isDatabaseUnavailable(error)) logger.error({ err: error }, 'mail worker failed');
      })
      .finally(() => {
        running = undefined;
      });
  }

  const schedule = () => {
    timer = setTimeout(() => {
      run();
      schedule();
    }, pollMs);
    timer.unref();
  };
  schedule();
  run();

  return {
    kick: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
