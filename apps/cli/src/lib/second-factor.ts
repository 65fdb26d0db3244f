import { CliError } from './errors.js';
import { promptHidden } from './password.js';

/** What `auth.verifyMfa` (and the reauth of `2fa disable|recovery-codes`) takes besides the challenge. */
export type SecondFactor = { totp: string } | { recoveryCode: string };

/** Six digits are an authenticator code; anything else is tried as a recovery code. */
export function asSecondFactor(code: string): SecondFactor {
  const trimmed = code.trim();
  return /^\d{6}$/.test(trimmed) ? { totp: trimmed } : { recoveryCode: trimmed };
}

/**
 * The code from the `--code` flag, else from a prompt on a terminal. A script has no terminal to
 * ask on, so it is told to pass `--code`.
 */
export async function readCode(flag: string | undefined, prompt: string): Promise<string> {
  if (flag !== undefined) return flag;
  if (!process.stdin.isTTY) {
    throw new CliError(
      'this account asks for a second factor',
      'pass --code with the 6-digit code from your authenticator app (or a recovery code)',
    );
  }
  return promptHidden(prompt);
}
