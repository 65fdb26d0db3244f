import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import { createdAt, timestamptz } from './columns.js';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Trimmed and lower-cased, so uniqueness is case-insensitive. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    emailVerifiedAt: timestamptz('email_verified_at'),
    passwordChangedAt: timestamptz('password_changed_at'),
    /** SPEC §10: `user` or `admin`, read from here on every admin call, never from a token. */
    role: text('role', { enum: ['user', 'admin'] })
      .notNull()
      .default('user'),
    /** Set by an admin: the password no longer signs in (ACCOUNT_DISABLED), sessions are ended. */
    disabledAt: timestamptz('disabled_at'),
    disabledReason: text('disabled_reason'),
    /**
     * A deleted account stays as a tombstone (no email, name or password of the person) so the
     * other party's transfer history keeps its row as "Deleted user".
     */
    deletedAt: timestamptz('deleted_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull(),
    deviceName: text('device_name'),
    browser: text('browser'),
    os: text('os'),
    deviceType: text('device_type'),
    ip: text('ip'),
    createdAt: createdAt(),
    lastUsedAt: timestamptz('last_used_at').notNull().defaultNow(),
    /** Absolute end of life: refreshing never moves it. */
    expiresAt: timestamptz('expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    revokedReason: text('revoked_reason'),
    /** How the session was proven (RFC 8176): `{pwd}`, `{pwd,otp}`; carried into access tokens. */
    amr: text('amr').array().notNull().default(sql`'{pwd}'::text[]`),
  },
  (t) => [
    index('sessions_user_id_idx').on(t.userId, t.createdAt),
    index('sessions_expires_at_idx').on(t.expiresAt),
  ],
);

/**
 * Refresh tokens, hashed. A token is live until rotated; a rotated token presented again within the
 * grace period gets a fresh live token of the same session (two tabs, a lost response), later it
 * revokes the session.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    rotatedAt: timestamptz('rotated_at'),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);

/** At most one live code per user: a new code replaces the row. */
export const emailCodes = pgTable(
  'email_codes',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    expiresAt: timestamptz('expires_at').notNull(),
    /** Kept after a successful check so the same code answers `alreadyVerified` instead of leaking. */
    consumedAt: timestamptz('consumed_at'),
    createdAt: createdAt(),
  },
  (t) => [index('email_codes_expires_at_idx').on(t.expiresAt)],
);

/**
 * The code state of an email with no code of its own (no account, or a code long swept): the
 * same attempts and expiry a real unverified account has, so `verifyEmail` answers both alike
 * (SPEC §6.1). Keyed by an HMAC of the email, never the address itself.
 */
export const phantomEmailCodes = pgTable(
  'phantom_email_codes',
  {
    emailKey: text('email_key').primaryKey(),
    attempts: integer('attempts').notNull().default(0),
    expiresAt: timestamptz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('phantom_email_codes_expires_at_idx').on(t.expiresAt)],
);

/**
 * Devices that have signed in to an account (OWASP "device cookies"): a known device is exempt
 * from the per-email lockout and has its own failure budget, so strangers guessing from many
 * addresses never lock the owner out (SPEC §6.1).
 */
export const knownDevices = pgTable(
  'known_devices',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull(),
    firstSeenAt: timestamptz('first_seen_at').notNull().defaultNow(),
    lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    /** Set when a newer request replaced this token. */
    voidedAt: timestamptz('voided_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('password_reset_tokens_token_hash_key').on(t.tokenHash),
    index('password_reset_tokens_user_id_idx').on(t.userId),
    index('password_reset_tokens_expires_at_idx').on(t.expiresAt),
  ],
);

/** Fixed-window counters shared by every instance. */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    windowStartedAt: timestamptz('window_started_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (t) => [index('rate_limits_expires_at_idx').on(t.expiresAt)],
);

export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    /** Rendered bodies and the secret they carry; cleared once the message is sent. */
    payload: jsonb('payload').$type<MailPayload | null>(),
    status: text('status').$type<'pending' | 'sent' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    /** A worker holds the row until then; another instance may take it over afterwards. */
    lockedUntil: timestamptz('locked_until'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: timestamptz('sent_at'),
  },
  (t) => [index('mail_outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`)],
);

export type MailPayload = { text: string; html: string; code?: string; token?: string };

/** Server instances sharing the database; a stale heartbeat marks an instance dead. */
export const instances = pgTable('instances', {
  id: uuid('id').primaryKey(),
  startedAt: timestamptz('started_at').notNull().defaultNow(),
  lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
});

/** One open `signaling.events` subscription (a device), hosted by one instance. */
export const peers = pgTable(
  'peers',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    instanceId: uuid('instance_id').notNull(),
    connectedAt: createdAt(),
  },
  (t) => [
    index('peers_user_id_idx').on(t.userId),
    index('peers_session_id_idx').on(t.sessionId, t.connectedAt),
    index('peers_instance_id_idx').on(t.instanceId),
  ],
);

/** Pairs made by `markConnected`, both directions: who hears when a peer goes offline. */
export const peerPairs = pgTable(
  'peer_pairs',
  {
    peerId: text('peer_id').notNull(),
    otherPeerId: text('other_peer_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.peerId, t.otherPeerId] })],
);

/** Bus messages too large for NOTIFY (8000 bytes): the notification carries only the row id. */
export const busPayloads = pgTable(
  'bus_payloads',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('bus_payloads_created_at_idx').on(t.createdAt)],
);

export const transfers = pgTable(
  'transfers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    receiverId: uuid('receiver_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    /** Exact up to 2^53 (9 PB). */
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    fileType: text('file_type').notNull(),
    timeElapsed: bigint('time_elapsed', { mode: 'number' }).notNull(),
    transferType: text('transfer_type').$type<'WebRTC' | 'Relay'>().notNull(),
    completedAt: timestamptz('completed_at').notNull().defaultNow(),
  },
  (t) => [
    index('transfers_sender_idx').on(t.senderId, t.completedAt.desc(), t.id.desc()),
    index('transfers_receiver_idx').on(t.receiverId, t.completedAt.desc(), t.id.desc()),
  ],
);
