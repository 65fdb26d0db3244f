import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Hops to trust (0: none), or the addresses/CIDRs of trusted proxies. */
export type TrustProxy = false | number | string[];

function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  try {
    if (entry.includes('/')) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return true;
  } catch {
    return false;
  }
}

const DEFAULT_STUN = ['stun:stun.l.google.com:19302', 'stun:stun1.l.google.com:19302'];

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * `TRUST_PROXY`: `false` (the socket's address), `true` (one proxy hop), a number of hops, or a
 * comma list of proxy addresses/CIDRs whose `X-Forwarded-For` entries are believed.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): TrustProxy => {
    const lower = value.toLowerCase();
    if (lower === 'false' || lower === '0' || lower === 'no') return false;
    if (lower === 'true' || lower === 'yes') return 1;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops <= 32) return hops;
    }
    const entries = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const bad = entries.filter((entry) => !isProxyAddress(entry));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be false, true, a number of hops (0–32) or a comma list of proxy CIDRs${bad.length ? ` (not an address: ${bad.join(', ')})` : ''}`,
      });
      return z.NEVER;
    }
    return entries;
  });

const rateLimitOverride = z.union([
  z.strictObject({ max: z.number().int().positive(), windowSeconds: z.number().int().positive() }),
  z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive() }),
]);

const rateLimits = z.string().transform((value, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
  const result = z.record(z.string(), rateLimitOverride).safeParse(parsed);
  if (!result.success) {
    ctx.addIssue({
      code: 'custom',
      message: 'must map limit keys to {"max","windowSeconds"} or {"perSecond","burst"}',
    });
    return z.NEVER;
  }
  return result.data;
});

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const schema = z
  .object({
    PORT: int(0, 65535).default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// connection string' })
      .optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    JWT_SECRET: z
      .string()
      .refine((value) => Buffer.byteLength(value) >= 32, 'must be at least 32 bytes')
      .optional(),
    /** 32 bytes, base64: encrypts TOTP secrets at rest (SPEC §9). */
    DATA_ENCRYPTION_KEY: z
      .string()
      .trim()
      .refine(
        (value) =>
          /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32,
        'must be 32 bytes, base64-encoded',
      )
      .optional(),
    ACCESS_TOKEN_TTL_SECONDS: int(1, 86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: int(60, 31_536_000).default(2_592_000),
    SESSION_IDLE_TTL_SECONDS: int(60, 31_536_000).default(604_800),
    EMAIL_CODE_TTL_SECONDS: int(1, 86_400).default(300),
    RESET_TOKEN_TTL_SECONDS: int(1, 604_800).default(1800),
    // SPEC §9: a sign-in's second step must follow within 5 minutes; tests shorten it.
    MFA_CHALLENGE_TTL_SECONDS: int(1, 3600).default(300),
    // SPEC §10: how long the security log keeps an event.
    SECURITY_EVENT_TTL_DAYS: int(1, 3650).default(180),
    /** SPEC §10: these verified accounts are admins (bootstrap; the role then lives in the database). */
    ADMIN_EMAILS: csv
      .pipe(z.array(z.string().trim().toLowerCase().pipe(z.email('must be emails'))))
      .default([]),
    BCRYPT_COST: int(4, 16).default(12),
    MAIL_TRANSPORT: z.enum(['resend', 'file', 'console']).optional(),
    RESEND_API_KEY: z.string().min(1).optional(),
    MAIL_FROM: z.string().min(3).default('CryptWeb <no-reply@cryptweb.local>'),
    RESEND_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    MAIL_FILE: z.string().min(1).optional(),
    APP_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:4000'),
    CORS_ORIGINS: csv.pipe(z.array(z.url({ protocol: /^https?$/ }))).default([]),
    // Passkeys (SPEC §9): the relying party is APP_URL's host and origin unless set.
    WEBAUTHN_RP_ID: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9.-]+$/, 'must be a host name (no scheme, port or path)')
      .optional(),
    WEBAUTHN_RP_NAME: z.string().trim().min(1).max(64).default('CryptWeb'),
    WEBAUTHN_ORIGINS: csv.pipe(z.array(z.url({ protocol: /^https?$/ }))).optional(),
    TRUST_PROXY: trustProxy.default(false),
    RATE_LIMITS: rateLimits.optional(),
    STUN_URLS: csv.default(DEFAULT_STUN),
    TURN_URLS: csv.default([]),
    TURN_SECRET: z.string().min(1).optional(),
    TURN_TTL_SECONDS: int(60, 604_800).default(3600),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    WS_PING_INTERVAL_MS: int(100, 600_000).default(30_000),
    // SPEC §6.1: sockets' sessions are re-checked at least every 30 s; tests shorten it.
    SESSION_RECHECK_INTERVAL_MS: int(100, 30_000).default(30_000),
    MAX_BATCH_SIZE: int(1, 1000).default(20),
    MAX_PEERS_PER_SESSION: int(1, 100).default(5),
    EXPOSE_ERROR_STACKS: bool.default(false),
  })
  .transform((value) => {
    const mailTransport = value.MAIL_TRANSPORT ?? (value.RESEND_API_KEY ? 'resend' : 'file');
    return {
      ...value,
      MAIL_TRANSPORT: mailTransport,
      MAIL_FILE: value.MAIL_FILE ?? `${value.DATA_DIR.replace(/\/+$/, '')}/mail.jsonl`,
      RATE_LIMITS: value.RATE_LIMITS ?? {},
      WEBAUTHN_RP_ID: value.WEBAUTHN_RP_ID ?? new URL(value.APP_URL).hostname,
      WEBAUTHN_ORIGINS: (value.WEBAUTHN_ORIGINS?.length
        ? value.WEBAUTHN_ORIGINS
        : [value.APP_URL]
      ).map((url) => new URL(url).origin),
    };
  });

export type Env = z.output<typeof schema>;
export type EnvInput = Record<string, string | undefined>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Validates an environment; unset and empty variables take their defaults. */
export function parseEnv(source: EnvInput): Env {
  // An empty list variable means an empty list (e.g. STUN_URLS= for no STUN on a closed network).
  const lists = new Set(['STUN_URLS', 'TURN_URLS', 'CORS_ORIGINS', 'ADMIN_EMAILS']);
  const input = Object.fromEntries(
    Object.keys(schema.in.shape).map((key) => [
      key,
      lists.has(key) ? source[key] : emptyAsUndefined(source[key]),
    ]),
  );
  const result = schema.safeParse(input);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      }));
  problems.push(...productionProblems(input));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** What `NODE_ENV=production` demands on top of valid values: a real secret, real mail, Secure cookies. */
function productionProblems(input: Record<string, unknown>) {
  if (input.NODE_ENV !== 'production') return [];
  const problems: { variable: string; message: string }[] = [];
  if (input.JWT_SECRET === undefined) {
    problems.push({ variable: 'JWT_SECRET', message: 'is required in production' });
  }
  if (input.DATA_ENCRYPTION_KEY === undefined) {
    problems.push({ variable: 'DATA_ENCRYPTION_KEY', message: 'is required in production' });
  }
  const transport = input.MAIL_TRANSPORT ?? (input.RESEND_API_KEY ? 'resend' : 'file');
  if (transport !== 'resend' || input.RESEND_API_KEY === undefined) {
    problems.push({
      variable: 'RESEND_API_KEY',
      message:
        'production sends real mail: set RESEND_API_KEY (and MAIL_TRANSPORT=resend or unset)',
    });
  }
  if (input.EXPOSE_ERROR_STACKS !== undefined && bool.safeParse(input.EXPOSE_ERROR_STACKS).data) {
    problems.push({ variable: 'EXPOSE_ERROR_STACKS', message: 'must not be true in production' });
  }
  if (typeof input.APP_URL !== 'string' || !input.APP_URL.startsWith('https://')) {
    problems.push({
      variable: 'APP_URL',
      message: 'must be an https:// URL in production (cookies are Secure)',
    });
  }
  return problems;
}

/** The one place that reads process.env; a `.env` file in the working directory fills unset variables. */
export function loadEnv(): Env {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseEnv(process.env);
}
