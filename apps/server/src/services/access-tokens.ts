import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../errors.js';

const ISSUER = 'cryptweb';
/** HMAC keys imported once: importing on every call cost more than the signature check. */
const cryptoKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();

function hmacKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = cryptoKeys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    cryptoKeys.set(secret, key);
  }
  return key;
}
const AUDIENCE = 'cryptweb';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  /** How the session was proven (RFC 8176): `["pwd"]`, `["pwd","otp"]` (SPEC §9). */
  amr?: string[];
  /** Unix seconds. */
  expiresAt?: number;
}

/** An HS256 JWT with sub, sid, amr, iat, exp, iss and aud. */
export async function signAccessToken(
  key: Uint8Array,
  claims: AccessClaims,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + ttlSeconds;
  const token = await new SignJWT({
    sid: claims.sessionId,
    ...(claims.amr ? { amr: claims.amr } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(await hmacKey(key));
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/** Tokens that passed the full check, until they expire: a client repeats its token on every call. */
const verifiedTokens = new WeakMap<Uint8Array, Map<string, AccessClaims>>();
const MAX_VERIFIED_TOKENS = 10_000;

function rememberVerified(key: Uint8Array, token: string, claims: AccessClaims) {
  let known = verifiedTokens.get(key);
  if (!known) {
    known = new Map();
    verifiedTokens.set(key, known);
  }
  if (known.size >= MAX_VERIFIED_TOKENS) {
    // Oldest first: a Map iterates in insertion order.
    const oldest = known.keys().next();
    if (!oldest.done) known.delete(oldest.value);
  }
  known.set(token, claims);
}

/**
 * Verifies signature (HS256 only: `alg:none` and other algorithms are refused), issuer, audience and
 * expiry. `allowExpired` is for a live subscription whose session is still valid. A token seen
 * before is only checked for expiry: its signature and claims cannot have changed (the session
 * behind it is still checked by the caller, on every call).
 */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  options: { allowExpired?: boolean } = {},
): Promise<AccessClaims> {
  const known = verifiedTokens.get(key)?.get(token);
  if (known) {
    if (options.allowExpired || (known.expiresAt ?? 0) > Math.floor(Date.now() / 1000)) {
      return { ...known };
    }
    throw new DomainError('UNAUTHENTICATED', { message: 'The access token has expired' });
  }
  try {
    const { payload } = await jwtVerify(token, await hmacKey(key), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      ...(options.allowExpired ? { currentDate: new Date(0) } : {}),
    });
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw new DomainError('UNAUTHENTICATED');
    }
    const claims = { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp ?? 0 };
    if (!options.allowExpired) rememberVerified(key, token, claims);
    return { ...claims };
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
