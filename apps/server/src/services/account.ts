import { eq, sql } from 'drizzle-orm';
import { rateLimitSubject } from '../client-ip.js';
import type { Database } from '../db/client.js';
import { emailCodes, phantomEmailCodes, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { verifyEmailMessage } from '../mail/templates.js';
import type { SignUpInput } from '../schemas.js';
import { promoteListedAdmins } from './admin-roles.js';
import type { ServiceDeps } from './deps.js';
import { hashPassword, isCommonPassword } from './passwords.js';
import { limit, release } from './rate-limit.js';
import { emailKey, hmac, randomCode, sameHash } from './secrets.js';
import { findUserByEmail, type PublicUser, toPublicUser, type UserRow } from './users.js';

const MAX_CODE_ATTEMPTS = 5;

const codeHash = (deps: ServiceDeps, userId: string, code: string) =>
  hmac(deps.keys.hmac, `email-code:${userId}:${code}`);

/** Stores a fresh code (replacing any older one) and queues the mail carrying it. */
async function issueCode(db: Database, deps: ServiceDeps, user: UserRow) {
  const code = randomCode();
  const values = {
    codeHash: codeHash(deps, user.id, code),
    attempts: 0,
    expiresAt: sql`now() + make_interval(secs => ${deps.env.EMAIL_CODE_TTL_SECONDS})`,
    consumedAt: null,
    createdAt: sql`now()`,
  };
  await db
    .insert(emailCodes)
    .values({ userId: user.id, ...values })
    .onConflictDoUpdate({ target: emailCodes.userId, set: values });
  await enqueueMail(
    db,
    verifyEmailMessage(user.email, user.name, code, deps.env.EMAIL_CODE_TTL_SECONDS),
  );
}

export async function signUp(
  deps: ServiceDeps,
  input: SignUpInput,
  ip: string | undefined,
): Promise<{ user: PublicUser }> {
  await limit(deps, 'signUp.ip', rateLimitSubject(ip));
  if (isCommonPassword(input.password)) throw new DomainError('WEAK_PASSWORD');
  if (await findUserByEmail(deps.db, input.email)) throw new DomainError('EMAIL_TAKEN');
  const passwordHash = await hashPassword(input.password, deps.env.BCRYPT_COST);
  const user = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({ email: input.email, name: input.name, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning();
    // A concurrent sign-up with the same email won the race.
    if (!row) throw new DomainError('EMAIL_TAKEN');
    await issueCode(tx, deps, row);
    return row;
  });
  deps.mail.kick();
  return { user: toPublicUser(user) };
}

/**
 * Checks a code. Every try is counted before the comparison (atomically), so concurrent guesses
 * cannot exceed the limit. An email with no live code of its own (no account, a verified one, a
 * code long swept) answers from a phantom code with the same attempts and expiry, so it answers as
 * a real unverified account does, CODE_ATTEMPTS_EXCEEDED included (SPEC §6.1).
 */
export async function verifyEmail(
  deps: ServiceDeps,
  input: { email: string; code: string },
  ip: string | undefined,
): Promise<{ verified: true; alreadyVerified: boolean }> {
  const { db } = deps;
  await limit(deps, 'verifyEmail.ip', rateLimitSubject(ip));
  const user = await findUserByEmail(db, input.email);
  const [code] = user
    ? await db
        .select({
          codeHash: emailCodes.codeHash,
          attempts: emailCodes.attempts,
          consumed: sql<boolean>`${emailCodes.consumedAt} is not null`,
          expired: sql<boolean>`${emailCodes.expiresAt} <= now()`,
        })
        .from(emailCodes)
        .where(eq(emailCodes.userId, user.id))
    : [];
  if (!user || !code) return verifyPhantom(deps, input);
  const presented = codeHash(deps, user.id, input.code);

  // The same code presented again after success: idempotent, and only its holder learns it. Any
  // other code meets the phantom, as for an email without an account: a verified account must
  // not answer unlike an unknown one.
  if (code.consumed) {
    if (sameHash(presented, code.codeHash)) return { verified: true, alreadyVerified: true };
    return verifyPhantom(deps, input);
  }
  if (code.expired) throw new DomainError('CODE_EXPIRED');
  if (code.attempts >= MAX_CODE_ATTEMPTS) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  const emailLimit = await claimGuess(deps, input.email);

  const [counted] = await db
    .update(emailCodes)
    .set({ attempts: sql`${emailCodes.attempts} + 1` })
    .where(
      sql`${emailCodes.userId} = ${user.id} and ${emailCodes.attempts} < ${MAX_CODE_ATTEMPTS} and ${emailCodes.consumedAt} is null`,
    )
    .returning({ codeHash: emailCodes.codeHash });
  if (!counted) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  if (!sameHash(presented, counted.codeHash)) throw new DomainError('CODE_INVALID');
  await emailLimit.release();

  await db.transaction(async (tx) => {
    await tx
      .update(emailCodes)
      .set({ consumedAt: sql`now()` })
      .where(eq(emailCodes.userId, user.id));
    await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(eq(users.id, user.id));
    // ADMIN_EMAILS (SPEC §10): a listed address becomes an admin as soon as it is proven.
    await promoteListedAdmins(tx, deps.env, { userId: user.id, origin: deps.request });
  });
  return { verified: true, alreadyVerified: user.emailVerifiedAt !== null };
}

/**
 * Counts a guess against `verifyEmail.email` (15 wrong codes per email per 24 h across resends)
 * before it is compared; a right code gives it back.
 */
async function claimGuess(deps: ServiceDeps, email: string) {
  const subject = emailKey(deps.keys, email);
  await limit(deps, 'verifyEmail.email', subject);
  return { release: () => release(deps.db, 'verifyEmail.email', subject) };
}

const phantomKey = (deps: ServiceDeps, email: string) =>
  hmac(deps.keys.hmac, `phantom-email-code:${email}`);

/** A phantom code that starts now, as if an unverified account had just been mailed one (a resend). */
function phantomValues(deps: ServiceDeps) {
  return {
    attempts: 0,
    expiresAt: sql`now() + make_interval(secs => ${deps.env.EMAIL_CODE_TTL_SECONDS})`,
    createdAt: sql`now()`,
  };
}

/**
 * The answers of a real unverified account, for an email that has no live code: never a match.
 * Until a resend starts one, the phantom code is one mailed long ago, expired: what every real
 * account that signed up more than EMAIL_CODE_TTL_SECONDS ago and never verified answers too.
 * Probing writes nothing, as probing a real expired code writes nothing.
 */
async function verifyPhantom(
  deps: ServiceDeps,
  input: { email: string; code: string },
): Promise<never> {
  const { db } = deps;
  const key = phantomKey(deps, input.email);
  const [phantom] = await db
    .select({
      attempts: phantomEmailCodes.attempts,
      expired: sql<boolean>`${phantomEmailCodes.expiresAt} <= now()`,
    })
    .from(phantomEmailCodes)
    .where(eq(phantomEmailCodes.emailKey, key));
  if (!phantom || phantom.expired) throw new DomainError('CODE_EXPIRED');
  if (phantom.attempts >= MAX_CODE_ATTEMPTS) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  await claimGuess(deps, input.email);
  const [counted] = await db
    .update(phantomEmailCodes)
    .set({ attempts: sql`${phantomEmailCodes.attempts} + 1` })
    .where(
      sql`${phantomEmailCodes.emailKey} = ${key} and ${phantomEmailCodes.attempts} < ${MAX_CODE_ATTEMPTS}`,
    )
    .returning({ emailKey: phantomEmailCodes.emailKey });
  if (!counted) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  // The same keyed hash and constant-time compare a real code costs.
  sameHash(codeHash(deps, key, input.code), key);
  throw new DomainError('CODE_INVALID');
}

/**
 * Always `{ok:true}`; an unverified account gets a new code that replaces the old one, and an
 * email without an account gets a new phantom code, so a resend resets both alike.
 */
export async function resendVerification(
  deps: ServiceDeps,
  email: string,
  ip: string | undefined,
): Promise<{ ok: true }> {
  await limit(deps, 'resendVerification.ip', rateLimitSubject(ip));
  await limit(deps, 'resendVerification.email', emailKey(deps.keys, email));
  const user = await findUserByEmail(deps.db, email);
  if (user && !user.emailVerifiedAt) {
    await deps.db.transaction((tx) => issueCode(tx, deps, user));
    deps.mail.kick();
  } else {
    // A verified account answers wrong codes from its phantom: a resend resets it as any other.
    const values = phantomValues(deps);
    await deps.db
      .insert(phantomEmailCodes)
      .values({ emailKey: phantomKey(deps, email), ...values })
      .onConflictDoUpdate({ target: phantomEmailCodes.emailKey, set: values });
  }
  return { ok: true };
}
