import { type DestinationStream, type Logger, pino } from 'pino';
import type { Env } from './env.js';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  'password',
  'currentPassword',
  'newPassword',
  'confirmPassword',
  'token',
  'accessToken',
  'refreshToken',
  'code',
  'secret',
  'authorization',
  'cookie',
  'set-cookie',
];

export function createLogger(env: Pick<Env, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: env.LOG_LEVEL,
      base: { service: 'cryptweb' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [...REDACT, ...REDACT.map((key) => `*.${key}`), ...REDACT.map((k) => `*.*.${k}`)],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * Error details safe to log: names, messages and codes down the cause chain. A failed query's
 * parameters (hashes, mail bodies) are dropped; only its SQL text is kept.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { type: error.name };
  const query = (error as { query?: unknown }).query;
  if (typeof query === 'string' && 'params' in error) {
    out.message = 'Failed query';
    out.query = query;
  } else {
    out.message = error.message;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (error.stack && !out.query) out.stack = error.stack.split('\n').slice(0, 6).join('\n');
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}
