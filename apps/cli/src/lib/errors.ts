import { TRPCClientError } from '@cryptweb/client';

/** A failure the CLI detects itself (bad arguments, no password, not signed in). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What the CLI shows about any failure, and what `--json` prints. */
export interface ErrorInfo {
  message: string;
  /** tRPC code, e.g. UNAUTHORIZED; `NETWORK` when the server could not be reached. */
  code?: string;
  /** The server's stable `data.reason`, e.g. INVALID_CREDENTIALS. */
  reason?: string;
  httpStatus?: number;
  retryAfterSeconds?: number;
  fieldErrors?: Record<string, string[]>;
  hint?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Object; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const stringOf = (value: unknown) => (typeof value === 'string' ? value : undefined);
const numberOf = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** The server's error `data`, read defensively: a proxy or an older server may send less. */
function serverData(data: unknown) {
  if (!(data instanceof Object)) return undefined;
  const record = data as Record<string, unknown>;
  const fields = record.fieldErrors;
  return {
    code: stringOf(record.code),
    reason: stringOf(record.reason),
    httpStatus: numberOf(record.httpStatus),
    retryAfterSeconds: numberOf(record.retryAfterSeconds),
    fieldErrors:
      fields instanceof Object ? (fields as Record<string, string[]>) : (undefined as undefined),
  };
}

const HINTS: Record<string, string> = {
  UNAUTHENTICATED: 'sign in with `cryptweb login`',
  EMAIL_NOT_VERIFIED:
    'verify with `cryptweb verify --email EMAIL --code CODE` (`cryptweb resend` mails a new code)',
  CODE_EXPIRED: 'ask for a new code with `cryptweb resend --email EMAIL`',
  CODE_ATTEMPTS_EXCEEDED: 'ask for a new code with `cryptweb resend --email EMAIL`',
  REFRESH_EXPIRED: 'sign in again with `cryptweb login`',
  REFRESH_REUSED: 'sign in again with `cryptweb login`',
  REFRESH_INVALID: 'sign in again with `cryptweb login`',
  TOKEN_EXPIRED: 'ask for a new link with `cryptweb password forgot --email EMAIL`',
  TOKEN_USED: 'ask for a new link with `cryptweb password forgot --email EMAIL`',
  MFA_CODE_INVALID:
    "use your app's current code (each code works once; wait for the next one) or an unused recovery code",
  MFA_NOT_PENDING: 'start with `cryptweb 2fa enable`, which shows the QR code to scan first',
  MFA_ALREADY_ENABLED: 'two-factor is already on (`cryptweb 2fa status`)',
  MFA_CHALLENGE_EXPIRED: 'sign in again with `cryptweb login`',
  MFA_CHALLENGE_INVALID: 'sign in again with `cryptweb login`',
  ADMIN_REQUIRED:
    '`cryptweb admin` is for admins: an admin can grant the role (`cryptweb admin role ID admin`), or the server lists the address in ADMIN_EMAILS',
  ACCOUNT_DISABLED: 'an admin can enable it again (`cryptweb admin enable ID`)',
  LAST_ADMIN: 'make another account an admin first (`cryptweb admin role ID admin`)',
};

/** Turns anything thrown into what the user needs to see. */
export function describeError(error: unknown, url: string): ErrorInfo {
  if (error instanceof CliError) {
    return { message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  const network = networkCode(error);
  if (network) {
    return {
      message: `cannot reach the server at ${url} (${network})`,
      code: 'NETWORK',
      hint: 'start it with `pnpm start`, or point --url / CRYPTWEB_URL at a running server',
    };
  }
  if (error instanceof TRPCClientError) {
    const data = serverData(error.data);
    if (!data && error.cause) {
      // No tRPC answer at all: the request never got one (bad URL, blocked port, TLS, proxy).
      return {
        message: `cannot reach the server at ${url}: ${deepestMessage(error)}`,
        code: 'NETWORK',
      };
    }
    const info: ErrorInfo = { message: error.message };
    if (data?.code) info.code = data.code;
    if (data?.reason) info.reason = data.reason;
    if (data?.httpStatus) info.httpStatus = data.httpStatus;
    if (data?.retryAfterSeconds !== undefined) info.retryAfterSeconds = data.retryAfterSeconds;
    if (data?.fieldErrors) info.fieldErrors = data.fieldErrors;
    const hint =
      HINTS[info.reason ?? ''] ??
      (info.code === 'UNAUTHORIZED' && !info.reason ? HINTS.UNAUTHENTICATED : undefined);
    if (hint) info.hint = hint;
    // tRPC's message for a validation failure is the raw issue list: the field errors say it better.
    if (info.reason === 'INVALID_INPUT') info.message = 'the input is invalid';
    if (info.code === 'UNAUTHORIZED' && (!info.reason || info.reason === 'UNAUTHENTICATED')) {
      info.message = 'not signed in (or the session has ended)';
    }
    return info;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function deepestMessage(error: Error): string {
  let current: unknown = error;
  let message = error.message;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    message = current.message || message;
    current = current.cause;
  }
  return message;
}
