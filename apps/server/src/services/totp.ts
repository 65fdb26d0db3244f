import { randomInt } from 'node:crypto';
import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import type { Database } from '../db/client.js';
import { mfaRecoveryCodes, mfaTotp } from '../db/schema.js';
import type { Keys } from './secrets.js';
import { decryptSecret, encryptSecret, hmac } from './secrets.js';

/** SPEC §9: RFC 6238 with SHA-1, 6 digits, 30 s steps, one step of drift either way. */
const TOTP_OPTIONS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const WINDOW = 1;
const ISSUER = 'CryptWeb';

export const RECOVERY_CODE_COUNT = 10;
/** 12 characters of a 32-letter alphabet: 60 bits each (SPEC §9 asks ≥ 50). */
const RECOVERY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RECOVERY_LENGTH = 12;

export type TotpRow = typeof mfaTotp.$inferSelect;

function totpFor(secretBase32: string, label: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    ...TOTP_OPTIONS,
    issuer: ISSUER,
    label,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret, its `otpauth://` URI, and the sealed form kept in the database. */
export function newTotpSecret(keys: Pick<Keys, 'data'>, user: { id: string; email: string }) {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  return {
    secret,
    otpauthUri: totpFor(secret, user.email).toString(),
    sealed: encryptSecret(keys.data, secret, user.id),
  };
}

export function totpRow(db: Database, userId: string): Promise<TotpRow | undefined> {
  return db
    .select()
    .from(mfaTotp)
    .where(eq(mfaTotp.userId, userId))
    .then((rows) => rows[0]);
}

/** True when `code` has the shape of a TOTP code (a recovery code never does). */
export function looksLikeTotp(code: string): boolean {
  return /^\d{6}$/.test(code.trim());
}

/**
 * Checks a TOTP code and, when it matches, claims its time step in one conditional update: a step
 * (or an older one) already accepted is refused, so a code works once even when two requests
 * carry it at the same moment (only one update matches).
 */
export async function consumeTotp(
  db: Database,
  keys: Pick<Keys, 'data'>,
  row: TotpRow,
  code: string,
): Promise<boolean> {
  const token = code.trim();
  if (!/^\d{6}$/.test(token)) return false;
  const totp = totpFor(decryptSecret(keys.data, row.secretSealed, row.userId), row.userId);
  const now = Date.now();
  const delta = totp.validate({ token, timestamp: now, window: WINDOW });
  if (delta === null) return false;
  const step = totp.counter({ timestamp: now }) + delta;
  const claimed = await db
    .update(mfaTotp)
    .set({ lastUsedStep: step })
    .where(
      and(
        eq(mfaTotp.userId, row.userId),
        eq(mfaTotp.secretSealed, row.secretSealed),
        or(isNull(mfaTotp.lastUsedStep), lt(mfaTotp.lastUsedStep, step)),
      ),
    )
    .returning({ userId: mfaTotp.userId });
  return claimed.length === 1;
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Keyed hash: a dump of the table alone gives nothing to brute-force offline. */
function recoveryHash(keys: Pick<Keys, 'hmac'>, userId: string, code: string): string {
  return hmac(keys.hmac, `recovery:${userId}:${normalizeRecoveryCode(code)}`);
}

function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < RECOVERY_LENGTH; i++) code += RECOVERY_ALPHABET[randomInt(0, 32)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** Replaces a user's recovery codes with a new set; the codes are returned once and kept hashed. */
export async function replaceRecoveryCodes(
  db: Database,
  keys: Pick<Keys, 'hmac'>,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
  await db
    .insert(mfaRecoveryCodes)
    .values(codes.map((code) => ({ userId, codeHash: recoveryHash(keys, userId, code) })));
  return codes;
}

/** Spends a recovery code; a conditional update, so two concurrent uses of one code: one wins. */
export async function consumeRecoveryCode(
  db: Database,
  keys: Pick<Keys, 'hmac'>,
  userId: string,
  code: string,
): Promise<boolean> {
  const normalized = normalizeRecoveryCode(code);
  if (normalized.length !== RECOVERY_LENGTH) return false;
  const used = await db
    .update(mfaRecoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(mfaRecoveryCodes.userId, userId),
        eq(mfaRecoveryCodes.codeHash, recoveryHash(keys, userId, normalized)),
        isNull(mfaRecoveryCodes.usedAt),
      ),
    )
    .returning({ id: mfaRecoveryCodes.id });
  return used.length === 1;
}

export async function recoveryCodesLeft(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(mfaRecoveryCodes)
    .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)));
  return Number(row?.count ?? 0);
}

/** The authenticator of a user, once confirmed. */
export async function enabledTotp(db: Database, userId: string): Promise<TotpRow | undefined> {
  const [row] = await db
    .select()
    .from(mfaTotp)
    .where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.enabledAt)));
  return row;
}
