import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from './env.js';

function problemsOf(input: Record<string, string>) {
  try {
    parseEnv(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.variable);
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('fills the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 4000,
      HOST: '127.0.0.1',
      DATA_DIR: './.data',
      NODE_ENV: 'development',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      SESSION_IDLE_TTL_SECONDS: 604_800,
      EMAIL_CODE_TTL_SECONDS: 300,
      RESET_TOKEN_TTL_SECONDS: 1800,
      BCRYPT_COST: 12,
      MAIL_TRANSPORT: 'file',
      MAIL_FILE: './.data/mail.jsonl',
      APP_URL: 'http://127.0.0.1:4000',
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      TURN_URLS: [],
      TURN_TTL_SECONDS: 3600,
      LOG_LEVEL: 'info',
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.STUN_URLS.length).toBeGreaterThan(0);
  });

  it('parses lists, booleans, JSON limits and picks resend when a key is set', () => {
    const env = parseEnv({
      CORS_ORIGINS: 'http://a.test, https://b.test',
      TRUST_PROXY: 'true',
      RATE_LIMITS:
        '{"signIn.ip":{"max":100,"windowSeconds":900},"signaling.peer":{"perSecond":5,"burst":10}}',
      RESEND_API_KEY: 're_123',
      DATA_DIR: '/tmp/x/',
    });
    expect(env.CORS_ORIGINS).toEqual(['http://a.test', 'https://b.test']);
    expect(env.TRUST_PROXY).toBe(1);
    expect(env.RATE_LIMITS['signIn.ip']).toEqual({ max: 100, windowSeconds: 900 });
    expect(env.MAIL_TRANSPORT).toBe('resend');
    expect(env.MAIL_FILE).toBe('/tmp/x/mail.jsonl');
  });

  it('TRUST_PROXY takes false, true, a hop count or a list of proxy CIDRs (SPEC §6.1)', () => {
    expect(parseEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: '10.0.0.0/8, ::1, 192.168.1.7' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '::1',
      '192.168.1.7',
    ]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/8,proxy.example' })).toEqual(['TRUST_PROXY']);
  });

  it('an empty list variable is an empty list, an unset one takes its default', () => {
    expect(parseEnv({ STUN_URLS: '' }).STUN_URLS).toEqual([]);
    expect(parseEnv({}).STUN_URLS).toEqual([
      'stun:stun.l.google.com:19302',
      'stun:stun1.l.google.com:19302',
    ]);
  });

  it('names every bad variable at once', () => {
    const bad = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/db',
      JWT_SECRET: 'short',
      BCRYPT_COST: '40',
      MAIL_TRANSPORT: 'pigeon',
      TRUST_PROXY: 'maybe',
      RATE_LIMITS: '{not json',
      LOG_LEVEL: 'loud',
    });
    expect(bad.sort()).toEqual(
      [
        'BCRYPT_COST',
        'DATABASE_URL',
        'JWT_SECRET',
        'LOG_LEVEL',
        'MAIL_TRANSPORT',
        'PORT',
        'RATE_LIMITS',
        'TRUST_PROXY',
      ].sort(),
    );
  });

  it('demands a secret, real mail and https in production, alongside other errors', () => {
    expect(problemsOf({ NODE_ENV: 'production', PORT: '-1' }).sort()).toEqual(
      ['APP_URL', 'DATA_ENCRYPTION_KEY', 'JWT_SECRET', 'PORT', 'RESEND_API_KEY'].sort(),
    );
    expect(() =>
      parseEnv({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(32),
        DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        RESEND_API_KEY: 're_123',
        APP_URL: 'https://files.example.com',
      }),
    ).not.toThrow();
  });

  it('rejects rate-limit overrides of the wrong shape', () => {
    expect(problemsOf({ RATE_LIMITS: '{"signIn.ip":{"max":-1}}' })).toEqual(['RATE_LIMITS']);
  });
});
