import { CliError } from './errors.js';
import { promptHidden } from './password.js';

/** What `auth.verifyMfa` takes besides the challenge. */
export type SecondFactor = { totp: string } | { recoveryCode: string };

/** Six digits are an authenticator code; anything else is tried as a recovery code. */
export function asSecondFactor(code: string): SecondFactor {
  const trimmed = code.trim();
  return /^\d{6}$/.test(trimmed) ? { totp: trimmed } : { recoveryCode: trimmed };
}

/** The prompt for a code that may also be a recovery code (sign-in, `2fa disable|recovery-codes`). */
export const ANY_CODE_PROMPT = 'Code from your authenticator app (or a recovery code): ';

/**
 * The code from the `--code` flag, else from a prompt on a terminal. A script has no terminal to
 * ask on, so it is told to pass `--code`; `missing` says what the code is for.
 */
export async function readCode(
  flag: string | undefined,
  prompt: string,
  missing = 'this account asks for a second factor',
): Promise<string> {
  if (flag !== undefined) return flag;
  if (!process.stdin.isTTY) {
    throw new CliError(
      missing,
      'pass --code with the 6-digit code from your authenticator app (or a recovery code)',
    );
  }
  return promptHidden(prompt);
}
