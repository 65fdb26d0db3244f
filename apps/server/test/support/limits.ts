/**
 * Every test talks from 127.0.0.1, so the per-IP limits of SPEC §6 and §6.1 would throttle a test
 * file long before it finishes: this preset lifts them and leaves every per-email, per-device and
 * per-user limit at its default. Tests of the limits themselves start from the defaults instead.
 */
export const ROOMY_IP_LIMITS = {
  'signIn.ip': { max: 1000, windowSeconds: 900 },
  'signUp.ip': { max: 1000, windowSeconds: 36_000 },
  'verifyEmail.ip': { max: 1000, windowSeconds: 900 },
  'resendVerification.ip': { max: 1000, windowSeconds: 3600 },
  'forgotPassword.ip': { max: 1000, windowSeconds: 3600 },
} as const;

type Limit = { max: number; windowSeconds: number } | { perSecond: number; burst: number };

/** `RATE_LIMITS` for a test server: the roomy per-IP preset plus `overrides`. */
export function roomyLimits(overrides: Record<string, Limit> = {}): string {
  return JSON.stringify({ ...ROOMY_IP_LIMITS, ...overrides });
}
