import { DomainError } from '../errors.js';
import { enqueueMail } from '../mail/outbox.js';
import { recoveryCodeUsedMessage } from '../mail/templates.js';
import type { ServiceDeps } from './deps.js';
import { limit, release } from './rate-limit.js';
import {
  consumeRecoveryCode,
  consumeTotp,
  looksLikeTotp,
  recoveryCodesLeft,
  type TotpRow,
} from './totp.js';
import type { UserRow } from './users.js';

export type SecondFactor = 'totp' | 'recovery';

/**
 * Checks a second factor (a TOTP code, else a recovery code) against the `reauth.user` limit of
 * SPEC §6.1: claimed before the check so concurrent guesses count, given back on success. A spent
 * recovery code mails the owner, in the caller's transaction when `db` is one.
 */
export async function checkSecondFactor(
  deps: Pick<ServiceDeps, 'db' | 'env' | 'keys'>,
  user: Pick<UserRow, 'id' | 'email' | 'name'>,
  totp: TotpRow,
  code: string,
  only?: SecondFactor,
  /** Whose budget a wrong code spends: the user's (in a session) unless the caller says. */
  budget: string = user.id,
): Promise<SecondFactor> {
  const { db, keys } = deps;
  await limit(deps, 'reauth.user', budget);
  const kind: SecondFactor = only ?? (looksLikeTotp(code) ? 'totp' : 'recovery');
  const valid =
    kind === 'totp'
      ? await consumeTotp(db, keys, totp, code)
      : await consumeRecoveryCode(db, keys, user.id, code);
  if (!valid) throw new DomainError('MFA_CODE_INVALID');
  await release(db, 'reauth.user', budget);
  if (kind === 'recovery') {
    const left = await recoveryCodesLeft(db, user.id);
    await enqueueMail(db, recoveryCodeUsedMessage(user.email, user.name, left));
  }
  return kind;
}
