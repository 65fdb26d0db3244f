import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Env } from './env.js';
import type { TokenPair } from './services/auth.js';

const DEVICE_ID = /^[0-9a-f-]{36}$/i;
const TEN_YEARS = 10 * 365 * 24 * 3600;

export function readCookies(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return headers.cookie ? parseCookie(headers.cookie) : {};
}

/** The browser's device id from its cookie, when well-formed. */
export function deviceIdFromCookie(headers: IncomingHttpHeaders): string | undefined {
  const value = readCookies(headers).deviceId;
  return value && DEVICE_ID.test(value) ? value : undefined;
}

/** Secure unless this is plain-http development. */
function secure(env: Env): boolean {
  return env.NODE_ENV === 'production' || env.APP_URL.startsWith('https://');
}

function base(env: Env) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: secure(env), path: '/' };
}

export function setAuthCookies(res: ServerResponse, env: Env, pair: TokenPair, deviceId?: string) {
  const now = Date.now();
  const seconds = (date: Date) => Math.max(0, Math.floor((date.getTime() - now) / 1000));
  const cookies = [
    stringifySetCookie({
      name: 'accessToken',
      value: pair.accessToken,
      maxAge: seconds(pair.accessTokenExpiresAt),
      ...base(env),
    }),
    stringifySetCookie({
      name: 'refreshToken',
      value: pair.refreshToken,
      maxAge: seconds(pair.refreshTokenExpiresAt),
      ...base(env),
    }),
  ];
  if (deviceId) {
    cookies.push(
      stringifySetCookie({ name: 'deviceId', value: deviceId, maxAge: TEN_YEARS, ...base(env) }),
    );
  }
  res.appendHeader('set-cookie', cookies);
}

/** Signing out clears the tokens; the device id stays so the device is recognised next time. */
export function clearAuthCookies(res: ServerResponse, env: Env) {
  res.appendHeader('set-cookie', [
    stringifySetCookie({
      name: 'accessToken',
      value: '',
      maxAge: 0,
      expires: new Date(0),
      ...base(env),
    }),
    stringifySetCookie({
      name: 'refreshToken',
      value: '',
      maxAge: 0,
      expires: new Date(0),
      ...base(env),
    }),
  ]);
}
