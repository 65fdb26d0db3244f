import type { Env } from './env.js';

type OriginEnv = Pick<Env, 'APP_URL' | 'CORS_ORIGINS'>;

/** An origin as browsers send it (`scheme://host[:port]`), or undefined for what is not a URL. */
function originOf(value: string): string | undefined {
  try {
    const { origin } = new URL(value);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

const allowedByEnv = new WeakMap<OriginEnv, Set<string>>();

/**
 * The one rule for browser origins that may use our cookies and our WebSocket (SPEC §6.1):
 * APP_URL's origin and those in CORS_ORIGINS. A request without `Origin` (CLI, servers: no ambient
 * cookies) passes; `null` and anything else do not. Browsers send the origin serialized (lower-case
 * scheme and host, no default port): it is compared as sent, nothing is normalized into a match.
 */
export function originAllowed(env: OriginEnv, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let allowed = allowedByEnv.get(env);
  if (!allowed) {
    allowed = new Set([env.APP_URL, ...env.CORS_ORIGINS].flatMap((url) => originOf(url) ?? []));
    allowedByEnv.set(env, allowed);
  }
  return allowed.has(origin);
}
