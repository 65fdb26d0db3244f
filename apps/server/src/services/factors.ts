import { count, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { passkeys } from '../db/schema.js';
import { enabledTotp, type TotpRow } from './totp.js';

export type SecondFactorMethod = 'totp' | 'recovery' | 'passkey';

export interface SecondFactors {
  totp: TotpRow | undefined;
  passkeys: number;
  /** What a password sign-in may finish with; empty when the password is enough. */
  methods: SecondFactorMethod[];
}

/** The account's second factors (SPEC §9): an enabled authenticator, passkeys, or both. */
export async function secondFactors(db: Database, userId: string): Promise<SecondFactors> {
  const [totp, [keys]] = await Promise.all([
    enabledTotp(db, userId),
    db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
  ]);
  const n = keys?.n ?? 0;
  const methods: SecondFactorMethod[] = [
    ...(totp ? (['totp', 'recovery'] as const) : []),
    ...(n > 0 ? (['passkey'] as const) : []),
  ];
  return { totp, passkeys: n, methods };
}
