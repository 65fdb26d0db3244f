import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { SecurityEventType, SecurityFlag } from '../../schemas.js';
import { createdAt, timestamptz } from './columns.js';
import { users } from './core.js';

// The contract's types (one home): the columns hold exactly what clients filter and read.
export type { SecurityEventType, SecurityFlag };

/**
 * The account's security log (SPEC §10), written in the transaction of the action it records and
 * kept SECURITY_EVENT_TTL_DAYS. `network` is the address's /16 (IPv4) or /48 (IPv6), for the
 * `new-network` flag. Never a password, code or token.
 */
export const securityEvents = pgTable(
  'security_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').$type<SecurityEventType>().notNull(),
    at: timestamptz('at').notNull().defaultNow(),
    ip: text('ip'),
    network: text('network'),
    userAgent: text('user_agent'),
    browser: text('browser'),
    os: text('os'),
    deviceId: text('device_id'),
    sessionId: uuid('session_id'),
    flags: text('flags').array().$type<SecurityFlag[]>().notNull().default([]),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('security_events_user_at_idx').on(t.userId, t.at.desc(), t.id.desc()),
    index('security_events_user_type_at_idx').on(t.userId, t.type, t.at),
    index('security_events_user_network_idx').on(t.userId, t.network),
    index('security_events_at_idx').on(t.at),
  ],
);

/**
 * The one-time "this wasn't me" link of a new-device mail (7 days): hashed, bound to the session
 * it reports.
 */
export const signInReports = pgTable(
  'sign_in_reports',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('sign_in_reports_expires_at_idx').on(t.expiresAt)],
);

/** A pending email change: the code mailed to the new address (hashed), at most one per user. */
export const emailChanges = pgTable(
  'email_changes',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    newEmail: text('new_email').notNull(),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    expiresAt: timestamptz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('email_changes_expires_at_idx').on(t.expiresAt)],
);

/**
 * Device authorization (RFC 8628, SPEC §11): a CLI's sign-in waiting for approval in a browser.
 * Both codes are stored hashed; the session is made on the first poll after approval, once.
 */
export const deviceAuthorizations = pgTable(
  'device_authorizations',
  {
    deviceCodeHash: text('device_code_hash').primaryKey(),
    userCodeHash: text('user_code_hash').notNull(),
    clientName: text('client_name').notNull(),
    /** The device id the client keeps (known devices, SPEC §6.1), if it sent one. */
    clientDeviceId: text('client_device_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    status: text('status', { enum: ['pending', 'approved', 'denied', 'consumed'] })
      .notNull()
      .default('pending'),
    /** Who approved or denied it, and the approving session's proof (its `amr`). */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /**
     * The session that approved: the code opens a session only while that one is live, so
     * whatever ends it (revocation, "not me", a password change elsewhere, disabling) ends an
     * approval waiting to be used too.
     */
    approvedBySessionId: uuid('approved_by_session_id'),
    amr: text('amr').array(),
    pollIntervalSeconds: integer('poll_interval_seconds').notNull().default(5),
    lastPolledAt: timestamptz('last_polled_at'),
    expiresAt: timestamptz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('device_authorizations_user_code_key').on(t.userCodeHash),
    index('device_authorizations_expires_at_idx').on(t.expiresAt),
  ],
);
