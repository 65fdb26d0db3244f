import type { Database } from '../db/client.js';
import type { Env } from '../env.js';
import type { Keys } from './secrets.js';

/** What account services need besides their input: the database, configuration, keys, the mailer. */
export interface ServiceDeps {
  db: Database;
  env: Env;
  keys: Keys;
  /** Wakes the mail worker after a transaction that queued mail has committed. */
  mail: { kick(): void };
  /** Who is calling from where, for the security log (absent outside a request). */
  request?: { ip: string | undefined; userAgent: string | undefined };
  /** Ends the revoked sessions' live subscriptions on every instance; call after the commit. */
  sessionsRevoked(sessionIds: string[]): Promise<void>;
}
