import { type AppRouter, TRPCClientError } from '@cryptweb/client';

type ErrorData = NonNullable<TRPCClientError<AppRouter>['data']>;
/** Every stable `data.reason` the server sends (SPEC §3, §5, §9). */
export type Reason = NonNullable<ErrorData['reason']>;

/** What the person reads for each reason; a Record, so a reason added to the server fails the build here. */
const MESSAGES: Record<Reason, string> = {
  INVALID_INPUT: 'Some fields need attention.',
  EMAIL_TAKEN: 'An account with this email already exists. Sign in, or reset your password.',
  WEAK_PASSWORD:
    'This password is too common and easy to guess. Choose a longer, less common one — a few unrelated words work well.',
  CODE_INVALID: 'That code is not right. Check the latest email we sent you and try again.',
  CODE_EXPIRED: 'That code has expired. Ask for a new code below.',
  CODE_ATTEMPTS_EXCEEDED:
    'Too many wrong codes, so this code no longer works. Ask for a new code below.',
  INVALID_CREDENTIALS: 'Wrong email or password.',
  EMAIL_NOT_VERIFIED: 'Your email is not verified yet. Enter the code we emailed you.',
  REFRESH_INVALID: 'Your session has ended. Sign in again.',
  REFRESH_EXPIRED: 'Your session has expired. Sign in again.',
  REFRESH_REUSED:
    'This session was ended for your safety (its sign-in was used twice). Sign in again.',
  UNAUTHENTICATED: 'You are signed out. Sign in again.',
  SESSION_NOT_FOUND: 'That device is already signed out.',
  PASSWORDS_DIFFER: 'The two passwords do not match.',
  TOKEN_INVALID: 'This reset link is not valid. Ask for a new one.',
  TOKEN_EXPIRED: 'This reset link has expired. Ask for a new one.',
  TOKEN_USED: 'This reset link was already used. Ask for a new one if you still need it.',
  RECEIVER_NOT_FOUND: 'There is no CryptWeb account with that email.',
  NO_PEER: 'This device is not connected for transfers yet. Wait a moment and try again.',
  PEER_NOT_FOUND: 'That device is not online any more.',
  RATE_LIMITED: 'Too many attempts.',
  DATABASE_UNAVAILABLE: 'The server is having trouble right now. Try again in a moment.',
  BATCH_TOO_LARGE: 'Too many requests at once. Reload the page and try again.',
  TOO_MANY_PEERS:
    'CryptWeb is open in too many tabs or devices for this account. Close one and try again.',
  MFA_ALREADY_ENABLED: 'Two-factor authentication is already on for this account.',
  MFA_NOT_ENABLED: 'Two-factor authentication is off for this account.',
  MFA_NOT_PENDING: 'Start setting up your authenticator app first, then enter its code.',
  MFA_CODE_INVALID:
    'That code is not right. Enter the current code from your authenticator app, or an unused recovery code.',
  MFA_CHALLENGE_INVALID: 'This sign-in is no longer valid. Sign in again.',
  MFA_CHALLENGE_EXPIRED: 'This sign-in took too long and has expired. Sign in again.',
  PASSKEY_INVALID:
    'This passkey could not be verified. Try again, or use another passkey saved for this account.',
  PASSKEY_NOT_FOUND: 'That passkey is no longer on your account.',
  REAUTH_REQUIRED:
    'You signed in on this device more than 10 minutes ago: enter your current password to continue.',
  ACCOUNT_DISABLED: 'This account has been disabled. Contact your administrator.',
  LAST_ADMIN: 'This is the last admin: make someone else an admin first.',
  USER_NOT_FOUND: 'That user no longer exists.',
  ADMIN_REQUIRED: 'Only an admin can do this.',
  CROSS_SITE_REQUEST: 'The server refused a request from this page. Reload it and try again.',
  UNSUPPORTED_CONTENT_TYPE: 'The server refused a request from this page. Reload it and try again.',
};

/**
 * The reasons of `auth.reportSignIn` worded for its page: there TOKEN_* speak of the link in a
 * new-sign-in email, not of a password reset link.
 */
export const SIGN_IN_REPORT_MESSAGES: Partial<Record<Reason, string>> = {
  TOKEN_INVALID:
    'This link is not valid, or it is more than 7 days old. Sign in and check your devices instead.',
  TOKEN_EXPIRED: 'This link is more than 7 days old. Sign in and check your devices instead.',
  TOKEN_USED:
    'This link was already used: that device was signed out then, and a password reset link was emailed to you.',
};

/**
 * The reasons of `auth.device.*` worded for the device page: there TOKEN_* speak of the code an
 * app (the CLI) shows, which lives 10 minutes and is decided once.
 */
export const DEVICE_CODE_MESSAGES: Partial<Record<Reason, string>> = {
  TOKEN_INVALID:
    'No sign-in is waiting for this code. Check it against the code your app shows, or start the sign-in again there.',
  TOKEN_EXPIRED:
    'This code has expired: codes last 10 minutes. Start the sign-in again in your app.',
  TOKEN_USED:
    'This code was already approved or denied. Start the sign-in again in your app if you still need it.',
};

/**
 * What the browser's WebAuthn errors (DOMException names, kept by @simplewebauthn/browser) mean
 * to the person. NotAllowedError and AbortError are left out: a closed dialog is no error, and
 * the pages say so calmly (see `passkeys.ts`).
 */
const WEBAUTHN_MESSAGES: Record<string, string> = {
  InvalidStateError: 'This device or security key already holds a passkey for your account.',
  SecurityError:
    'The browser refused passkeys for this address. Open CryptWeb by its host name, not an IP address.',
  ConstraintError:
    'This device cannot make a passkey that verifies you (a screen lock, PIN or fingerprint). Try another device or a security key.',
  NotSupportedError:
    'This device cannot make a passkey CryptWeb accepts. Try another device or a security key.',
};

/** An error, ready to show: one sentence, and what the form needs to react to it. */
export interface Problem {
  message: string;
  reason: Reason | undefined;
  /** Seconds to wait before trying again (TOO_MANY_REQUESTS). */
  retryAfterSeconds: number | undefined;
  /** Messages per input field (INVALID_INPUT). */
  fieldErrors: Record<string, string[]>;
  /** The session behind this call is gone: the device is signed out. */
  sessionGone: boolean;
}

/** "4 min 10 s", "45 s", "2 h 5 min". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const minutes = Math.round((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}

/**
 * Turns anything a call threw into a Problem. `overrides` words a reason for one form, e.g.
 * INVALID_CREDENTIALS on the change-password form means the current password is wrong.
 */
export function describeError(
  error: unknown,
  overrides: Partial<Record<Reason, string>> = {},
): Problem {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data;
    const reason = data?.reason;
    const retryAfterSeconds = data?.retryAfterSeconds;
    let message = reason ? (overrides[reason] ?? MESSAGES[reason]) : undefined;
    if (data?.code === 'TOO_MANY_REQUESTS') {
      message = `${message ?? MESSAGES.RATE_LIMITED} ${
        retryAfterSeconds !== undefined
          ? `Try again in ${formatWait(retryAfterSeconds)}.`
          : 'Try again later.'
      }`;
    }
    const sessionGone = data?.code === 'UNAUTHORIZED' && reason !== 'INVALID_CREDENTIALS';
    if (!message && sessionGone) message = MESSAGES.UNAUTHENTICATED;
    if (!message && !data)
      message = 'Cannot reach the server. Check your connection and try again.';
    return {
      message: message ?? error.message,
      reason,
      retryAfterSeconds,
      fieldErrors: data?.fieldErrors ?? {},
      sessionGone,
    };
  }
  return {
    message:
      error instanceof Error ? (WEBAUTHN_MESSAGES[error.name] ?? error.message) : String(error),
    reason: undefined,
    retryAfterSeconds: undefined,
    fieldErrors: {},
    sessionGone: false,
  };
}

/** A problem the form found itself, before asking the server (worded as the server would). */
export function formProblem(
  message: string,
  reason: Reason,
  fieldErrors: Record<string, string[]> = {},
): Problem {
  return { message, reason, retryAfterSeconds: undefined, fieldErrors, sessionGone: false };
}

/** The first message for a field, from INVALID_INPUT's `fieldErrors`. */
export function fieldError(problem: Problem | null, field: string): string | undefined {
  return problem?.fieldErrors[field]?.[0];
}
