import { Secret, TOTP } from 'otpauth';

const PERIOD_MS = 30_000;

/**
 * The authenticator app of a test, holding the key the page showed. The server accepts a code of
 * the 30 s steps within ±1 of now, and each step once per account, later than the last one taken
 * (SPEC §9); so each code comes from the next unused step, starting one before now, and a test
 * gets three codes at once instead of sleeping until the clock moves on.
 */
export class Authenticator {
  private readonly totp: TOTP;
  private lastStep = Number.NEGATIVE_INFINITY;

  constructor(secret: string) {
    this.totp = new TOTP({
      secret: Secret.fromBase32(secret.replace(/\s/g, '')),
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD_MS / 1000,
    });
  }

  /** A code of a step not used before; throws when the three steps around now are spent. */
  next(): string {
    const now = Date.now();
    const current = this.totp.counter({ timestamp: now });
    // The step before now, unless now is about to move on: the server could then find it two behind.
    const earliest = this.totp.remaining({ timestamp: now }) < 3_000 ? current : current - 1;
    const step = Math.max(this.lastStep + 1, earliest);
    if (step > current + 1) {
      throw new Error('the test used more than three authenticator codes within one step');
    }
    this.lastStep = step;
    return this.totp.generate({ timestamp: step * PERIOD_MS });
  }

  /** Six digits the server refuses now: none of the codes of the steps around now. */
  wrong(): string {
    const now = Date.now();
    const valid = new Set(
      [-2, -1, 0, 1, 2].map((offset) =>
        this.totp.generate({ timestamp: now + offset * PERIOD_MS }),
      ),
    );
    let candidate = 123456;
    while (valid.has(String(candidate))) candidate += 1;
    return String(candidate);
  }
}
