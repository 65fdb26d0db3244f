import * as OTPAuth from 'otpauth';

const WRONG_CODE = '000000';

/** The code of the step `offset` steps from now, computed from the enrolled secret. */
export function codeAt(secret: string, offset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

/** A code that is not the one of any acceptable step, so a "wrong" guess is really wrong. */
export function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => codeAt(secret, offset)));
  return valid.has(WRONG_CODE) ? '111111' : WRONG_CODE;
}
