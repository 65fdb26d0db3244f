import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';

/** Every stable `data.reason` a client may branch on, with the tRPC code it travels under. */
export const REASONS = {
  INVALID_INPUT: 'BAD_REQUEST',
  EMAIL_TAKEN: 'CONFLICT',
  WEAK_PASSWORD: 'BAD_REQUEST',
  CODE_INVALID: 'BAD_REQUEST',
  CODE_EXPIRED: 'BAD_REQUEST',
  CODE_ATTEMPTS_EXCEEDED: 'BAD_REQUEST',
  INVALID_CREDENTIALS: 'UNAUTHORIZED',
  EMAIL_NOT_VERIFIED: 'FORBIDDEN',
  REFRESH_INVALID: 'UNAUTHORIZED',
  REFRESH_EXPIRED: 'UNAUTHORIZED',
  REFRESH_REUSED: 'UNAUTHORIZED',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  SESSION_NOT_FOUND: 'NOT_FOUND',
  PASSWORDS_DIFFER: 'BAD_REQUEST',
  TOKEN_INVALID: 'BAD_REQUEST',
  TOKEN_EXPIRED: 'BAD_REQUEST',
  TOKEN_USED: 'BAD_REQUEST',
  RECEIVER_NOT_FOUND: 'NOT_FOUND',
  NO_PEER: 'PRECONDITION_FAILED',
  PEER_NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  DATABASE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  BATCH_TOO_LARGE: 'BAD_REQUEST',
  TOO_MANY_PEERS: 'TOO_MANY_REQUESTS',
  CROSS_SITE_REQUEST: 'FORBIDDEN',
  UNSUPPORTED_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  MFA_ALREADY_ENABLED: 'CONFLICT',
  MFA_NOT_ENABLED: 'BAD_REQUEST',
  MFA_NOT_PENDING: 'BAD_REQUEST',
  MFA_CODE_INVALID: 'BAD_REQUEST',
  MFA_CHALLENGE_INVALID: 'BAD_REQUEST',
  MFA_CHALLENGE_EXPIRED: 'BAD_REQUEST',
  PASSKEY_INVALID: 'BAD_REQUEST',
  PASSKEY_NOT_FOUND: 'NOT_FOUND',
  REAUTH_REQUIRED: 'FORBIDDEN',
  ACCOUNT_DISABLED: 'FORBIDDEN',
  LAST_ADMIN: 'CONFLICT',
  USER_NOT_FOUND: 'NOT_FOUND',
  ADMIN_REQUIRED: 'FORBIDDEN',
} as const satisfies Record<string, TRPC_ERROR_CODE_KEY>;

export type Reason = keyof typeof REASONS;

const MESSAGES: Record<Reason, string> = {
  INVALID_INPUT: 'The input is invalid',
  EMAIL_TAKEN: 'An account with this email already exists',
  WEAK_PASSWORD: 'This password is too common; choose another',
  CODE_INVALID: 'The code is invalid',
  CODE_EXPIRED: 'The code has expired; ask for a new one',
  CODE_ATTEMPTS_EXCEEDED: 'Too many wrong codes; ask for a new one',
  INVALID_CREDENTIALS: 'Wrong email or password',
  EMAIL_NOT_VERIFIED: 'Verify your email before signing in',
  REFRESH_INVALID: 'The refresh token is invalid',
  REFRESH_EXPIRED: 'The session has expired; sign in again',
  REFRESH_REUSED: 'The refresh token was already used; the session has been revoked',
  UNAUTHENTICATED: 'Sign in to continue',
  SESSION_NOT_FOUND: 'Session not found',
  PASSWORDS_DIFFER: 'The passwords do not match',
  TOKEN_INVALID: 'This link or code is invalid',
  TOKEN_EXPIRED: 'This link or code has expired',
  TOKEN_USED: 'This link or code was already used',
  RECEIVER_NOT_FOUND: 'No account with this email',
  NO_PEER: 'Open a signaling subscription first',
  PEER_NOT_FOUND: 'That peer is not online',
  RATE_LIMITED: 'Too many requests; try again later',
  DATABASE_UNAVAILABLE: 'The database is unavailable; try again shortly',
  BATCH_TOO_LARGE: 'Too many calls in one batch',
  TOO_MANY_PEERS: 'Too many open signaling subscriptions for this session or account',
  CROSS_SITE_REQUEST: 'Cookie-authenticated requests must come from an allowed origin',
  UNSUPPORTED_CONTENT_TYPE: 'Cookie-authenticated requests must send application/json',
  MFA_ALREADY_ENABLED: 'Two-factor authentication is already on',
  MFA_NOT_ENABLED: 'Two-factor authentication is off',
  MFA_NOT_PENDING: 'Start the authenticator enrolment first',
  MFA_CODE_INVALID: 'The code is invalid',
  MFA_CHALLENGE_INVALID: 'This sign-in is no longer valid; sign in again',
  MFA_CHALLENGE_EXPIRED: 'This sign-in has expired; sign in again',
  PASSKEY_INVALID: 'The passkey could not be verified',
  PASSKEY_NOT_FOUND: 'No such passkey',
  REAUTH_REQUIRED: 'Confirm your password first',
  ACCOUNT_DISABLED: 'This account is disabled; contact your administrator',
  LAST_ADMIN: 'The last admin cannot lose the admin role',
  USER_NOT_FOUND: 'No such user',
  ADMIN_REQUIRED: 'Only an admin may do this',
};

export interface DomainErrorOptions {
  /** Overrides the reason's usual code (e.g. INVALID_CREDENTIALS is BAD_REQUEST in changePassword). */
  code?: TRPC_ERROR_CODE_KEY;
  message?: string;
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** What services throw; the tRPC layer turns it into a TRPCError with `data.reason`. */
export class DomainError extends Error {
  readonly code: TRPC_ERROR_CODE_KEY;
  readonly retryAfterSeconds: number | undefined;
  /** Extra fields for the error's `data` (e.g. the health report). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly reason: Reason,
    options: DomainErrorOptions = {},
  ) {
    super(options.message ?? MESSAGES[reason], { cause: options.cause });
    this.name = 'DomainError';
    this.code = options.code ?? REASONS[reason];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** True when an error (or anything in its cause chain) says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Object; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** True when the database refused a row for a unique index (e.g. an email taken meanwhile). */
export function isUniqueViolation(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Object; depth++) {
    if ((current as { code?: unknown }).code === '23505') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
