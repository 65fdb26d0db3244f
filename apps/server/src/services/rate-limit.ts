import { and, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rateLimits } from '../db/schema.js';
import type { Env } from '../env.js';
import { DomainError } from '../errors.js';

export interface WindowLimit {
  max: number;
  windowSeconds: number;
}

const HOUR = 60 * 60;

/** SPEC §6 and §6.1 defaults; `RATE_LIMITS` overrides any of them. */
export const DEFAULT_LIMITS = {
  'signIn.emailIp': { max: 5, windowSeconds: 15 * 60 },
  'signIn.email': { max: 50, windowSeconds: 15 * 60 },
  'signIn.device': { max: 10, windowSeconds: 15 * 60 },
  'signIn.ip': { max: 30, windowSeconds: 15 * 60 },
  'signUp.ip': { max: 20, windowSeconds: 10 * 60 * 60 },
  'verifyEmail.ip': { max: 30, windowSeconds: 15 * 60 },
  'resendVerification.email': { max: 1, windowSeconds: 60 },
  'verifyEmail.email': { max: 15, windowSeconds: 24 * HOUR },
  'resendVerification.ip': { max: 10, windowSeconds: HOUR },
  'forgotPassword.email': { max: 5, windowSeconds: HOUR },
  'forgotPassword.ip': { max: 10, windowSeconds: HOUR },
  'reauth.user': { max: 5, windowSeconds: 15 * 60 },
  // The second sign-in step, per IP (SPEC §9); wrong codes also count against `reauth.user`.
  'verifyMfa.ip': { max: 30, windowSeconds: 15 * 60 },
  'health.ip': { max: 60, windowSeconds: 60 },
  // Anonymous passkey sign-in options each store a challenge (SPEC §9).
  'passkeyOptions.ip': { max: 60, windowSeconds: 15 * 60 },
  // Device authorization (SPEC §11): codes started per IP, codes looked up or decided per user.
  'deviceStart.ip': { max: 20, windowSeconds: 15 * 60 },
  'deviceApprove.user': { max: 30, windowSeconds: 15 * 60 },
  // SPEC §10: each email change mails a code; a signed-in account must not become a mail cannon,
  // nor probe many addresses for EMAIL_TAKEN, and no address gets flooded from many accounts.
  'changeEmail.user': { max: 5, windowSeconds: HOUR },
  'changeEmail.email': { max: 5, windowSeconds: HOUR },
  // An export reads everything the account has: a few per 15 minutes, whatever the batching.
  'accountExport.user': { max: 3, windowSeconds: 15 * 60 },
} satisfies Record<string, WindowLimit>;

export type LimitName = keyof typeof DEFAULT_LIMITS;

export function limitFor(env: Pick<Env, 'RATE_LIMITS'>, name: LimitName): WindowLimit {
  const override = env.RATE_LIMITS[name];
  return override && 'max' in override ? override : DEFAULT_LIMITS[name];
}

function retryAfter(expiresAt: Date): number {
  return Math.max(1, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
}

function refuse(expiresAt: Date): never {
  throw new DomainError('RATE_LIMITED', { retryAfterSeconds: retryAfter(expiresAt) });
}

/**
 * Counts one hit in a fixed window shared by every instance (one atomic upsert), and refuses it
 * with RATE_LIMITED once the window holds more than `max`.
 */
export async function hit(db: Database, limit: WindowLimit, name: string, subject: string) {
  const key = `${name}:${subject}`;
  const windowEnd = sql`now() + make_interval(secs => ${limit.windowSeconds})`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, count: 1, windowStartedAt: sql`now()`, expiresAt: windowEnd })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.expiresAt} <= now() then 1 else ${rateLimits.count} + 1 end`,
        windowStartedAt: sql`case when ${rateLimits.expiresAt} <= now() then now() else ${rateLimits.windowStartedAt} end`,
        expiresAt: sql`case when ${rateLimits.expiresAt} <= now() then ${windowEnd} else ${rateLimits.expiresAt} end`,
      },
    })
    .returning({ count: rateLimits.count, expiresAt: rateLimits.expiresAt });
  if (row && row.count > limit.max) refuse(row.expiresAt);
}

/**
 * Counts one hit of the named limit (its configured size) for `subject`: the one call every
 * service makes, so a limit's name, size and key are decided here.
 */
export function limit(
  deps: { db: Database; env: Pick<Env, 'RATE_LIMITS'> },
  name: LimitName,
  subject: string,
): Promise<void> {
  return hit(deps.db, limitFor(deps.env, name), name, subject);
}

/** Gives back one hit (an attempt that turned out not to count, such as a correct password). */
export async function release(db: Database, name: string, subject: string) {
  await db
    .update(rateLimits)
    .set({ count: sql`greatest(${rateLimits.count} - 1, 0)` })
    .where(and(eq(rateLimits.key, `${name}:${subject}`), gt(rateLimits.expiresAt, sql`now()`)));
}

export async function clear(db: Database, name: string, subject: string) {
  await db.delete(rateLimits).where(eq(rateLimits.key, `${name}:${subject}`));
}
