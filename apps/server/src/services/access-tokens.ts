import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../errors.js';

const ISSUER = 'cryptweb';
const AUDIENCE = 'cryptweb';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  /** Unix seconds. */
  expiresAt?: number;
}

/** An HS256 JWT with sub, sid, iat, exp, iss and aud. */
export async function signAccessToken(
  key: Uint8Array,
  claims: AccessClaims,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + ttlSeconds;
  const token = await new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(key);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/**
 * Verifies signature (HS256 only: `alg:none` and other algorithms are refused), issuer, audience and
 * expiry. `allowExpired` is for a live subscription whose session is still valid.
 */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  options: { allowExpired?: boolean } = {},
): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      ...(options.allowExpired ? { currentDate: new Date(0) } : {}),
    });
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw new DomainError('UNAUTHENTICATED');
    }
    return { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp ?? 0 };
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      throw new DomainError('UNAUTHENTICATED', {
        message:
          error instanceof errors.JWTExpired
            ? 'The access token has expired'
            : 'Invalid access token',
      });
    }
    throw error;
  }
}
