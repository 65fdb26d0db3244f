import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { emailCodes, users } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { verifyEmailMessage } from '../mail/templates.js';
import type { SignUpInput } from '../schemas.js';
import type { ServiceDeps } from './deps.js';
import { hashPassword, isCommonPassword } from './passwords.js';
import { hit, limitFor } from './rate-limit.js';
import { hmac, randomCode, sameHash, sha256 } from './secrets.js';
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
  ip: string,
): Promise<{ user: PublicUser }> {
  await hit(deps.db, limitFor(deps.env, 'signUp.ip'), 'signUp.ip', ip);
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
 * Checks a code. Unknown emails answer CODE_INVALID like a wrong code. Every try is counted before
 * the comparison (atomically), so concurrent guesses cannot exceed the limit.
 */
export async function verifyEmail(
  deps: ServiceDeps,
  input: { email: string; code: string },
  ip: string,
): Promise<{ verified: true; alreadyVerified: boolean }> {
  const { db } = deps;
  await hit(db, limitFor(deps.env, 'verifyEmail.ip'), 'verifyEmail.ip', ip);
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
  if (!user || !code) throw new DomainError('CODE_INVALID');
  const presented = codeHash(deps, user.id, input.code);

  // The same code presented again after success: idempotent, and only its holder learns it.
  if (code.consumed) {
    if (sameHash(presented, code.codeHash)) return { verified: true, alreadyVerified: true };
    throw new DomainError('CODE_INVALID');
  }
  if (code.expired) throw new DomainError('CODE_EXPIRED');
  if (code.attempts >= MAX_CODE_ATTEMPTS) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');

  const [counted] = await db
    .update(emailCodes)
    .set({ attempts: sql`${emailCodes.attempts} + 1` })
    .where(
      sql`${emailCodes.userId} = ${user.id} and ${emailCodes.attempts} < ${MAX_CODE_ATTEMPTS} and ${emailCodes.consumedAt} is null`,
    )
    .returning({ codeHash: emailCodes.codeHash });
  if (!counted) throw new DomainError('CODE_ATTEMPTS_EXCEEDED');
  if (!sameHash(presented, counted.codeHash)) throw new DomainError('CODE_INVALID');

  await db.transaction(async (tx) => {
    await tx
      .update(emailCodes)
      .set({ consumedAt: sql`now()` })
      .where(eq(emailCodes.userId, user.id));
    await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(eq(users.id, user.id));
  });
  return { verified: true, alreadyVerified: user.emailVerifiedAt !== null };
}

/** Always `{ok:true}`; an unverified account gets a new code that replaces the old one. */
export async function resendVerification(deps: ServiceDeps, email: string): Promise<{ ok: true }> {
  await hit(
    deps.db,
    limitFor(deps.env, 'resendVerification.email'),
    'resendVerification.email',
    sha256(email),
  );
  const user = await findUserByEmail(deps.db, email);
  if (user && !user.emailVerifiedAt) {
    await deps.db.transaction((tx) => issueCode(tx, deps, user));
    deps.mail.kick();
  }
  return { ok: true };
}
