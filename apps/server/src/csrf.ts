import type { IncomingHttpHeaders } from 'node:http';
import { readCookies } from './cookies.js';
import type { Env } from './env.js';
import { DomainError } from './errors.js';
import { originAllowed } from './origins.js';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isJson(contentType: string | undefined): boolean {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
}

export interface CredentialRequest {
  transport: 'http' | 'ws';
  method: string;
  headers: IncomingHttpHeaders;
}

/**
 * A credential read from our cookies. Over HTTP a cookie travels with requests other sites make,
 * so it counts only for a request no other site could have forged (SPEC §6.1): no foreign
 * `Origin`, and a body sent as `application/json` (which needs a CORS preflight; forms and
 * `text/plain` do not). Otherwise nothing runs: CROSS_SITE_REQUEST (403) or
 * UNSUPPORTED_CONTENT_TYPE (415). A socket's origin was checked at its upgrade.
 */
export function cookieCredential(
  ctx: { env: Pick<Env, 'APP_URL' | 'CORS_ORIGINS'>; request: CredentialRequest },
  name: 'accessToken' | 'refreshToken',
): string | undefined {
  const value = readCookies(ctx.request.headers)[name];
  if (!value || ctx.request.transport === 'ws') return value || undefined;
  const { headers, method } = ctx.request;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  if (!originAllowed(ctx.env, origin)) throw new DomainError('CROSS_SITE_REQUEST');
  if (!BODYLESS.has(method) && !isJson(headers['content-type'])) {
    throw new DomainError('UNSUPPORTED_CONTENT_TYPE');
  }
  return value;
}
